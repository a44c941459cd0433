/**
 * The dashboard and comparison pages in Debian's Chromium under the same strict CSP as in
 * VS Code: chart.js 4 must draw without a single policy violation, and the page must validate
 * what it receives. Skipped where Chromium is not installed.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHROMIUM, openWebviewBrowser } from '../../helpers/webviewServer';
import type { MetricEvent } from '../../../src/protocol/runDir';
import type { MessageToWebview } from '../../../src/protocol/webview';

const root = path.join(__dirname, '../../..');
const t = '2026-01-01T00:00:00Z';

const events: MetricEvent[] = [
  { type: 'run', time: t, name: 'fm', method: 'skd', backend: 'wasm', resumed: false, data: { name: 'fashion-mnist-mini', train: 900, validation: 100, test: 200, shape: [28, 28, 1], classes: 10 } },
  { type: 'phase', time: t, phase: 'teacher' },
  { type: 'batch', time: t, network: 'teacher', epoch: 1, step: 0.5, loss: 2.1, terms: { ce: 2.1 } },
  { type: 'epoch', time: t, network: 'teacher', epoch: 1, stage: 1, lr: 0.05, loss: 1.5, terms: { ce: 1.5 }, trainAcc: 0.6, valAcc: 0.55, seconds: 1, imagesPerSec: 400 },
  { type: 'stage', time: t, network: 'teacher', stage: 1, firstEpoch: 1, lastEpoch: 1, bestEpoch: 1, bestValAcc: 0.55 },
  { type: 'tbt', time: t, stage: 1, target: 2, layers: [{ layer: 'block1', nmse: 0.4, cosine: 0.8, baselineNmse: 1 }] },
  { type: 'tet', time: t, stage: 1, accuracy: 0.62, ece: 0.05, entropy: 0.9, klToTeacher: 0.3, teacherAccuracy: 0.7, teacherEce: 0.04 },
  { type: 'phase', time: t, phase: 'student' },
  { type: 'epoch', time: t, network: 'student', epoch: 1, stage: 1, lr: 0.05, loss: 1.2, terms: { ce: 1, behaviour: 0.1, experience: 0.1 }, trainAcc: 0.5, valAcc: 0.5, seconds: 1, imagesPerSec: 800 },
];


test('webview pages under the strict CSP in Chromium: charts draw, nothing is blocked', { skip: !fs.existsSync(CHROMIUM) && 'no Chromium', timeout: 90_000 }, async () => {
  const wb = await openWebviewBrowser('skd-csp-');
  try {
    const page = await wb.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const send = (m: MessageToWebview | object) => page.evaluate((msg) => window.postMessage(msg, '*'), m);
    const posted = () => page.evaluate(() => (window as unknown as { __posted: { type: string; level?: string }[] }).__posted);
    const points = (id: string) => page.locator(`canvas#${id}`).getAttribute('data-points').then(Number);

    // Dashboard: handshake, full history, then an increment.
    await page.goto(`${wb.origin}/dashboard.html`);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'initialized'));
    await send({ type: 'dashboard/init', run: { dir: '/w/runs/fm-1', name: 'fm', method: 'skd', status: { state: 'running', updated: t, progress: 0.5 } }, events });
    await page.waitForFunction(() => Number(document.querySelector('canvas#chart-loss')?.getAttribute('data-points')) > 0);
    assert.equal(await points('chart-loss'), 3);
    assert.equal(await points('chart-accuracy'), 4);
    assert.equal(await points('chart-terms'), 4);
    assert.equal(await points('chart-tbt'), 2);
    assert.equal(await points('chart-tet'), 5);
    assert.equal(await page.locator('#stage-timeline li').count(), 3);
    assert.equal(await page.locator('#run-status').textContent(), 'running');
    assert.equal(await page.locator('#btn-stop').isDisabled(), false);
    const state = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    assert.deepEqual(state, { view: 'dashboard', dir: '/w/runs/fm-1' });

    await send({ type: 'dashboard/events', from: events.length, events: [{ type: 'epoch', time: t, network: 'student', epoch: 2, stage: 1, lr: 0.05, loss: 1, terms: { ce: 0.9, behaviour: 0.05, experience: 0.05 }, trainAcc: 0.6, valAcc: 0.6, seconds: 1, imagesPerSec: 800 }] });
    await page.waitForFunction(() => Number(document.querySelector('canvas#chart-accuracy')?.getAttribute('data-points')) === 6);
    // A message outside the contract is not drawn; the page reports it to the host's log.
    await send({ type: 'dashboard/events', from: 'x', events: 'nope' });
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'log'));
    assert.equal(await points('chart-accuracy'), 6);
    await page.locator('#btn-stop').click();
    assert.ok((await posted()).some((m) => m.type === 'stopRun'));
    fs.mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1100 });
    await page.screenshot({ path: path.join(root, 'test-artifacts/webview-dashboard-csp.png'), fullPage: true });
    assert.deepEqual(await wb.violations(page), [], 'no CSP violations on the dashboard');

    // Comparison.
    await page.goto(`${wb.origin}/compare.html`);
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'initialized'));
    await send({
      type: 'compare/init',
      runs: [
        { name: 'skd-1', method: 'skd', state: 'done', teacherAcc: 0.9, studentAcc: 0.86, studentParams: 9000, seconds: 60, curve: [{ epoch: 1, valAcc: 0.7 }, { epoch: 2, valAcc: 0.8 }] },
        { name: 'kd-1', method: 'kd', state: 'done', teacherAcc: 0.9, studentAcc: 0.84, studentParams: 9000, seconds: 50, curve: [{ epoch: 1, valAcc: 0.68 }] },
      ],
      dirs: ['/runs/skd-1', '/runs/kd-1'],
    });
    await page.waitForFunction(() => document.querySelectorAll('table#compare-table tbody tr').length === 2);
    // A new comparison saves its runs, so that the panel comes back after a window reload.
    const saved = (await page.evaluate(() => (window as unknown as { __state: unknown }).__state)) as { view: string; dirs: string[] };
    assert.deepEqual({ view: saved.view, dirs: saved.dirs }, { view: 'compare', dirs: ['/runs/skd-1', '/runs/kd-1'] });
    assert.equal(await points('chart-compare'), 3);
    assert.equal(await page.locator('table#compare-table tbody tr.best td.method').textContent(), 'skd');
    await page.locator('table#compare-table a[data-index="1"]').click();
    assert.ok((await posted()).some((m) => m.type === 'openRun' && (m as unknown as { index: number }).index === 1));

    const violations = await wb.violations(page);
    assert.deepEqual(violations, [], 'no CSP violations on the comparison');
    assert.deepEqual(errors, [], 'no page errors');
    // The detector works: an inline style attribute is reported.
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<div style="color: red">x</div>'));
    await page.waitForFunction(() => (window as unknown as { __violations: string[] }).__violations.length > 0);
  } finally {
    await wb.close();
  }
});
