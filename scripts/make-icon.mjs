// Renders media/icon-marketplace.svg to media/icon.png (128x128, the extension's icon on the
// details page and in the Extensions view) with Debian Chromium through playwright-core.
// Usage: node scripts/make-icon.mjs   (needs /usr/bin/chromium: bash scripts/setup-e2e.sh)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const svg = fs.readFileSync(path.join(root, 'media', 'icon-marketplace.svg'), 'utf8');
const size = 128;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace(/width="\d+" height="\d+"/, `width="${size}" height="${size}"`)}</body></html>`);
  await page.screenshot({ path: path.join(root, 'media', 'icon.png'), omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
} finally {
  await browser.close();
}
console.log(`wrote media/icon.png (${size}x${size})`);
