/**
 * Serves the webview pages (`/dashboard.html`, `/compare.html`) over HTTP for tests in a real
 * Chromium, rendered exactly as the extension renders them (same strict CSP and nonce), with a
 * stand-in for what VS Code provides: `acquireVsCodeApi`, here recording posted messages in
 * `window.__posted` and keeping `getState`/`setState` in `window.__state`, which starts as the
 * page's `?state=` query says (a JSON value; `undefined` without one).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createNonce, renderWebviewHtml } from '../../src/extension/webview/html';
import type { ViewKind } from '../../src/protocol/webview';

export interface ServedPages {
  origin: string;
  close(): Promise<void>;
}

const ROOT = path.join(__dirname, '..', '..');

/** `bundleDir` holds the built `webview.js`. */
export async function serveWebviewPages(bundleDir: string): Promise<ServedPages> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const view = url.pathname.slice(1).replace(/\.html$/, '') as ViewKind;
    if (view === 'dashboard' || view === 'compare') {
      const origin = `http://${req.headers.host}`;
      const nonce = createNonce();
      const state = url.searchParams.get('state') ?? 'undefined';
      let html = renderWebviewHtml({ view, cspSource: origin, nonce, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/media/dashboard.css`, title: 'T' });
      const stub = `<script nonce="${nonce}">window.__posted=[];window.__state=${state};window.acquireVsCodeApi=()=>({postMessage:(m)=>window.__posted.push(m),getState:()=>window.__state,setState:(s)=>{window.__state=s}});</script>`;
      html = html.replace('<script nonce', `${stub}\n  <script nonce`);
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      return;
    }
    const file = url.pathname === '/dist/webview.js' ? path.join(bundleDir, 'webview.js') : url.pathname === '/media/dashboard.css' ? path.join(ROOT, 'media/dashboard.css') : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Debian's Chromium, which the webview tests run in (they are skipped without it). */
export const CHROMIUM = '/usr/bin/chromium';

/** A browser on the served pages: the webview bundle built fresh, its pages served, Chromium started. */
export interface WebviewBrowser {
  origin: string;
  /** A new page that records every CSP violation (read them with `violations`). */
  newPage(options?: import('playwright-core').BrowserContextOptions): Promise<import('playwright-core').Page>;
  violations(page: import('playwright-core').Page): Promise<string[]>;
  close(): Promise<void>;
}

export async function openWebviewBrowser(prefix: string): Promise<WebviewBrowser> {
  const esbuild = await import('esbuild');
  const { chromium } = await import('playwright-core');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  await esbuild.build({ entryPoints: [path.join(ROOT, 'webview/main.ts')], outfile: path.join(out, 'webview.js'), bundle: true, platform: 'browser', target: 'es2022', format: 'iife', logLevel: 'silent' });
  const served = await serveWebviewPages(out);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  return {
    origin: served.origin,
    async newPage(options) {
      const page = await browser.newPage(options);
      await page.addInitScript(() => {
        const w = window as unknown as { __violations: string[] };
        w.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      return page;
    },
    violations: (page) => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
    async close() {
      await browser.close();
      await served.close();
      fs.rmSync(out, { recursive: true, force: true });
    },
  };
}
