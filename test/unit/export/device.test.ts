import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import { chromium, type BrowserContext } from 'playwright-core';
import { exportRun } from '../../../src/trainer/export';
import { adbPush, AdbError, copyExport, serveStudent } from '../../../src/trainer/export/device';
import { argmax } from '../../../src/trainer/export/verify';
import { isInputError } from '../../../src/trainer/errors';
import { CLASSES, LABELS, makeRunDir, makeStudent, normalise, shapesData, SHAPE, tmpDir } from './fixtures';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

describe('to the device', () => {
  let model: tfl.LayersModel;
  let exportDir = '';

  before(async () => {
    model = makeStudent('cnn');
    const runDir = await makeRunDir(model, 'cnn');
    exportDir = (await exportRun(runDir, { format: 'tfjs', quantize: 'uint8', testSet: shapesData(60, 5) })).outDir;
  });

  test('copy puts every file of the export in a folder named after it', () => {
    const dest = tmpDir('device');
    const target = copyExport(exportDir, dest);
    assert.equal(target, path.join(dest, 'tfjs-uint8'));
    assert.deepEqual(fs.readdirSync(target).sort(), fs.readdirSync(exportDir).sort());
    assert.throws(() => copyExport(dest, dest), (e: unknown) => isInputError(e) && /not an export folder/.test(e.message));
  });

  test('adb: a clear error when it is not on PATH, and a push when it is', async () => {
    await assert.rejects(adbPush(exportDir, undefined, '/nonexistent'), (e: unknown) => e instanceof AdbError && /adb is not on PATH/.test(e.message));
    // A stand-in adb (a real executable) that records how it was called.
    const bin = tmpDir('adb');
    const log = path.join(bin, 'calls.txt');
    fs.writeFileSync(path.join(bin, 'adb'), `#!/bin/sh\necho "$@" >> '${log}'\necho "pushed"\n`, { mode: 0o755 });
    const r = await adbPush(exportDir, '/sdcard/skd', bin);
    const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(calls[0], 'shell mkdir -p /sdcard/skd');
    assert.match(calls[1], /^push .*model\.json .*weights\.bin \/sdcard\/skd\/$/);
    assert.equal(r.output, 'pushed');
  });

  describe('served page in headless Chromium', { skip: !fs.existsSync(CHROMIUM) && `no ${CHROMIUM}` }, () => {
    let context: BrowserContext;
    let profile = '';
    before(async () => {
      profile = tmpDir('chromium');
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    });
    after(async () => {
      await context?.close();
      fs.rmSync(profile, { recursive: true, force: true });
    });

    test('top-1 of the page matches the trainer on test images, under a strict CSP, on loopback', async () => {
      const served = await serveStudent(exportDir);
      try {
        assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
        const set = shapesData(12, 9);
        const x = normalise(set);
        const expected = trainerTop1(model, x, set.n);
        x.dispose();
        const images = pngs(set);

        const page = await context.newPage();
        const problems: string[] = [];
        page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
        page.on('pageerror', (e) => problems.push(e.message));
        const response = await page.goto(served.url);
        assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'none'/);
        await page.waitForSelector('#status[data-ready="true"], #status[data-error="true"]');
        assert.equal(await page.getAttribute('#status', 'data-error'), null, await page.textContent('#status') ?? '');
        await page.setInputFiles('#files', images);
        await page.waitForSelector('#status[data-done="true"]');
        const rows = await page.$$eval('#results li', (lis) => lis.map((li) => ({ file: (li as HTMLElement).dataset.file, top1: Number((li as HTMLElement).dataset.top1), label: li.querySelector('.label')?.textContent })));
        assert.equal(rows.length, set.n);
        rows.forEach((r, i) => {
          assert.equal(r.file, images[i].name);
          assert.equal(r.top1, expected[i], `image ${i}`);
          assert.equal(r.label, LABELS[expected[i]]);
        });
        assert.deepEqual(problems, []);
        await page.close();
      } finally {
        await served.close();
      }
    });
  });
});

function trainerTop1(model: tfl.LayersModel, x: tf.Tensor4D, n: number): number[] {
  const logits = (model.predict(x) as tf.Tensor).dataSync();
  return Array.from({ length: n }, (_, i) => argmax(logits, i * CLASSES, CLASSES));
}

/** Test images as grey PNG files, as a user would pick them. */
function pngs(set: ReturnType<typeof shapesData>): { name: string; mimeType: string; buffer: Buffer }[] {
  const [h, w] = SHAPE;
  return Array.from({ length: set.n }, (_, k) => {
    const png = new PNG({ width: w, height: h });
    for (let p = 0; p < h * w; p++) {
      const v = set.x[k * h * w + p];
      png.data.set([v, v, v, 255], p * 4);
    }
    return { name: `test-${k}.png`, mimeType: 'image/png', buffer: PNG.sync.write(png) };
  });
}
