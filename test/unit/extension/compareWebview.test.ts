/**
 * The comparison page in Debian's Chromium under the webview's strict CSP: a click on a header
 * sorts the table, group-by-method adds group rows with mean ± std, the chart switches metric
 * (per-stage TET too), smoothing and log scale, zoom answers Ctrl + wheel, a typed filter shrinks
 * the rows and the chart's series, grouping by seed works, and a reloaded page comes back with
 * the view it had, filter included (from `getState`). Skipped where Chromium is not installed.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHROMIUM, openWebviewBrowser } from '../../helpers/webviewServer';
import type { CompareInitMessage, CompareRun } from '../../../src/protocol/webview';

const root = path.join(__dirname, '../../..');


function run(name: string, method: string, group: string, studentAcc: number, seconds: number, vals: number[]): CompareRun {
  return {
    name,
    method,
    group,
    state: 'done',
    studentAcc,
    seconds,
    hyper: { temperature: 4, seed: Number(name.slice(-1)), student: 'cnn w6' },
    curve: vals.map((v, i) => ({ epoch: i + 1, valAcc: v })),
    perEpoch: vals.map((v, i) => ({ epoch: i + 1, values: { valAcc: v, loss: 2 - v, 'term.kd': 1 - v } })),
    ...(method === 'skd' ? { perStage: [1, 2, 3].map((stage) => ({ stage, values: { 'tet.accuracy': 0.6 + stage / 20, 'tet.addsToFinal': stage === 2 ? 0 : 1 } })) } : {}),
  };
}

const init: CompareInitMessage = {
  type: 'compare/init',
  runs: [
    run('kd-s1', 'kd', 'kd', 0.8, 10, [0.5, 0.7]),
    run('skd-s1', 'skd', 'skd', 0.86, 30, [0.6, 0.8]),
    run('kd-s2', 'kd', 'kd', 0.82, 12, [0.55, 0.75]),
    run('skd-s2', 'skd', 'skd', 0.84, 28, [0.58, 0.79]),
  ],
  dirs: ['/r/m/kd-s1', '/r/m/skd-s1', '/r/m/kd-s2', '/r/m/skd-s2'],
  sweep: {
    source: 'sweep',
    name: 'm',
    baseline: 'kd',
    groups: [
      { group: 'kd', runs: 2, testMean: 0.81, testStd: 0.014 },
      { group: 'skd', runs: 2, testMean: 0.85, testStd: 0.014, delta: { mean: 0.04, se: 0.01, n: 2 }, heldOutDelta: { mean: 0.015, se: 0.005, n: 2 } },
    ],
  },
};

test('comparison page: sort by header, group by method, chart metric and view state across a reload', { skip: !fs.existsSync(CHROMIUM) && 'no Chromium', timeout: 90_000 }, async () => {
  const wb = await openWebviewBrowser('skd-compare-');
  try {
    const page = await wb.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const open = async (state?: unknown, rows = 4) => {
      await page.goto(`${wb.origin}/compare.html${state ? `?state=${encodeURIComponent(JSON.stringify(state))}` : ''}`);
      await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'initialized'));
      await page.evaluate((m) => window.postMessage(m, '*'), init);
      await page.waitForFunction((n) => document.querySelectorAll('table#compare-table tbody tr.run-row').length === n, rows);
    };
    const series = () => page.locator('canvas#chart-compare').getAttribute('data-series');
    const names = () => page.locator('table#compare-table tbody tr.run-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.name));
    const state = () => page.evaluate(() => (window as unknown as { __state: { table: Record<string, unknown> } }).__state);

    await open();
    // A sweep's comparison opens grouped by its groups, with the report's Δ to the baseline.
    assert.equal(await page.locator('table#compare-table').getAttribute('data-group-by'), 'group');
    assert.match((await page.locator('tr.group-row[data-group="skd"]').textContent()) ?? '', /Δ \+4\.00 ± 1\.00 \(n 2\) · held-out val Δ \+1\.50 ± 0\.50 \(n 2\)/);
    assert.match((await page.locator('tr.group-row[data-group="kd"]').textContent()) ?? '', /baseline/);
    await page.selectOption('#compare-group-by', 'none');
    assert.equal(await page.locator('tr.group-row').count(), 0);
    // Default: best student first.
    assert.deepEqual(await names(), ['skd-s1', 'skd-s2', 'kd-s2', 'kd-s1']);
    await page.locator('th[data-key="studentAcc"]').click();
    assert.deepEqual(await names(), ['kd-s1', 'kd-s2', 'skd-s2', 'skd-s1']);
    assert.equal(await page.locator('th[data-key="studentAcc"]').getAttribute('aria-sort'), 'ascending');
    await page.locator('th[data-key="seconds"]').click();
    assert.deepEqual(await names(), ['skd-s1', 'skd-s2', 'kd-s2', 'kd-s1']);
    await page.locator('th[data-key="name"]').click();
    assert.deepEqual(await names(), ['kd-s1', 'kd-s2', 'skd-s1', 'skd-s2']);

    // Group by method: a row per group with mean ± std of the student accuracy.
    await page.selectOption('#compare-group-by', 'method');
    assert.equal(await page.locator('tr.group-row').count(), 2);
    assert.equal(await page.locator('tr.group-row[data-group="skd"] td.studentAcc').textContent(), '85.0 ± 1.4%');

    // The chart: another metric, smoothing, log scale; zoom with Ctrl + wheel, then reset.
    assert.equal(await page.locator('canvas#chart-compare').getAttribute('data-points'), '8');
    await page.selectOption('#compare-metric', 'term.kd');
    assert.equal(await page.locator('canvas#chart-compare').getAttribute('data-metric'), 'term.kd');
    await page.locator('#compare-smoothing').fill('0.6');
    await page.locator('#compare-log').check();
    const box = await page.locator('canvas#chart-compare').boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -300);
    await page.keyboard.up('Control');
    await page.locator('#compare-reset-zoom').click();
    const saved = await state();
    assert.deepEqual(saved.table, { sortKey: 'name', sortDir: 'asc', groupBy: 'method', metric: 'term.kd', logScale: true, smoothing: 0.6, filter: '' });

    // Filter: typed text narrows the rows and the chart's series; the tooltip names the columns.
    assert.equal(await series(), '4');
    assert.match((await page.locator('#compare-filter').getAttribute('title')) ?? '', /seed/);
    await page.locator('#compare-filter').fill('method:skd');
    assert.deepEqual(await names(), ['skd-s1', 'skd-s2']);
    assert.equal(await series(), '2');
    assert.equal(await page.locator('canvas#chart-compare').getAttribute('data-points'), '4');
    assert.match((await page.locator('#compare-count').textContent()) ?? '', /^2 of 4 runs/);
    await page.locator('#compare-filter').fill('student>85');
    assert.deepEqual(await names(), ['skd-s1']);
    assert.equal(await series(), '1');
    // A term naming no column is reported and left out.
    await page.locator('#compare-filter').fill('method:skd nope:1');
    assert.deepEqual(await names(), ['skd-s1', 'skd-s2']);
    assert.match((await page.locator('#compare-filter-errors').textContent()) ?? '', /no column "nope"/);
    // Nothing matches: an empty table says so, the chart is empty.
    await page.locator('#compare-filter').fill('method:dkd');
    assert.equal(await page.locator('tr.run-row').count(), 0);
    assert.equal(await page.locator('tr.empty-row').count(), 1);
    assert.equal(await series(), '0');
    await page.locator('#compare-filter').fill('method:skd');

    // Group by seed (any settings column is offered): one group row per seed, over the filtered rows.
    const offered = await page.locator('#compare-group-by option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.deepEqual(offered, ['none', 'method', 'group', 'state', 'temperature', 'student', 'seed']);
    await page.selectOption('#compare-group-by', 'seed');
    assert.deepEqual(await page.locator('tr.group-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.group)), ['1', '2']);
    await page.locator('#compare-filter').fill('');
    assert.equal(await page.locator('tr.group-row[data-group="1"] td.studentAcc').textContent(), '83.0 ± 4.2%');
    await page.locator('#compare-filter').fill('method:skd');

    // TET per stage: x is the stage, only the filtered (skd) runs have it.
    await page.locator('#compare-log').uncheck();
    await page.selectOption('#compare-metric', 'tet.accuracy');
    assert.equal(await page.locator('canvas#chart-compare').getAttribute('data-points'), '6');
    assert.match((await page.locator('figure:has(#chart-compare) figcaption').textContent()) ?? '', /^TET experience accuracy, per stage/);
    const filtered = await state();
    assert.deepEqual(filtered.table, { sortKey: 'name', sortDir: 'asc', groupBy: 'seed', metric: 'tet.accuracy', logScale: false, smoothing: 0.6, filter: 'method:skd' });

    // A reload (the panel serializer hands the state back): the same view, filter included.
    await open(filtered, 2);
    assert.equal(await page.locator('#compare-filter').inputValue(), 'method:skd');
    assert.deepEqual(await names(), ['skd-s1', 'skd-s2']);
    assert.equal(await series(), '2');
    assert.equal(await page.locator('table#compare-table').getAttribute('data-group-by'), 'seed');
    assert.equal(await page.locator('#compare-metric').inputValue(), 'tet.accuracy');
    await page.locator('#compare-filter').fill('');
    await page.waitForFunction(() => document.querySelectorAll('table#compare-table tbody tr.run-row').length === 4);

    // And the earlier view: sort, grouping, metric, log scale and smoothing all come back.
    await open(saved);
    assert.equal(await page.locator('table#compare-table').getAttribute('data-group-by'), 'method');
    assert.equal(await page.locator('table#compare-table').getAttribute('data-sort'), 'name:asc');
    assert.equal(await page.locator('#compare-metric').inputValue(), 'term.kd');
    assert.equal(await page.locator('#compare-log').isChecked(), true);
    assert.equal(await page.locator('#compare-smoothing').inputValue(), '0.6');
    fs.mkdirSync(path.join(root, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'test-artifacts/webview-compare-table.png'), fullPage: true });

    assert.deepEqual(await wb.violations(page), [], 'no CSP violations');
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await wb.close();
  }
});
