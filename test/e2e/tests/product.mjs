// @ts-check
// The paths a user lives in after the first run (issue 11): editing experiment files (JSON with
// comments; each hover, completion item and problem once), Send to Device from a run's context
// menu, and the comparison panel coming back after a window reload. They follow the steps of
// user.mjs in the same workbench and name the steps they need.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  answerQuickPick,
  dismissQuickInput,
  expandTreeRow,
  experimentsPane,
  openFile,
  problemsRows,
  reloadWindow,
  runCommand,
  showSkdSidebar,
  treeRows,
  waitFor,
  webviewFrame,
  sleep,
} from '../lib/ui.mjs';
import { runDirs, runState } from './user.mjs';

/** @typedef {import('./user.mjs').Test} Test */
/** @typedef {import('playwright-core').Page} Page */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCHEMA = JSON.parse(fs.readFileSync(path.join(REPO, 'schema', 'experiment.schema.json'), 'utf8'));

/**
 * Shows a workspace file in the editor: a click on its tab when it has one (Quick Open's keys go
 * to a focused webview instead, e.g. a dashboard restored by a reload), else Quick Open.
 * @param {Page} page
 * @param {string} name
 */
async function showFile(page, name) {
  const tab = page.locator(`.tabs-container .tab[aria-label*="${name}"]`).first();
  if (await tab.isVisible().catch(() => false)) await tab.click();
  else await openFile(page, name);
  await page.locator('.editor-instance .monaco-editor .view-lines >> visible=true').first().waitFor({ state: 'visible', timeout: 10_000 });
}

/** Shows the Problems panel (if hidden) and returns its marker rows (not the file rows). @param {Page} page */
async function problemMarkers(page) {
  if (!(await page.locator('.markers-panel').isVisible().catch(() => false))) await page.keyboard.press('Control+Shift+M');
  await page.locator('.markers-panel').waitFor({ state: 'visible', timeout: 10_000 });
  const rows = await problemsRows(page);
  return rows.filter((r) => /^(error|warning|info)/i.test(r));
}

/** Hides the Problems panel when it is shown. @param {Page} page */
async function hideProblems(page) {
  if (await page.locator('.markers-panel').isVisible().catch(() => false)) await page.keyboard.press('Control+Shift+M');
}

/**
 * Moves the cursor of the active editor to a line and column (1-based) with Ctrl+G.
 * @param {Page} page @param {number} line @param {number} column
 */
async function goToLine(page, line, column) {
  await dismissQuickInput(page);
  await page.locator('.editor-instance .monaco-editor .view-lines >> visible=true').first().click();
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 5000 });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
}

/** The language mode the status bar shows for the active editor. @param {Page} page */
async function languageMode(page) {
  return (await page.locator('.statusbar-item[id="status.editor.mode"]').first().innerText({ timeout: 5000 }).catch(() => '')).trim();
}

/** GETs a URL from this process; resolves with the status code. @param {string} url */
function httpStatus(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${url} timed out`)));
  });
}

/** External IPv4 addresses of this machine (what the extension may show for a phone). */
function lanAddresses() {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && a.family === 'IPv4')
    .map((a) => /** @type {os.NetworkInterfaceInfo} */ (a).address);
}

/**
 * Answers a run quick pick by typing the run folder's name (the picks match on the run's path);
 * nothing to do when the command did not ask (only one run fitted).
 * @param {Page} page
 * @param {string} folder
 */
async function pickRunFolder(page, folder) {
  const widget = page.locator('.quick-input-widget');
  if (!(await widget.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false))) return;
  // The pick can be hidden for a moment while a training run updates the workbench: retry the fill.
  await waitFor(() => page.locator('.quick-input-widget input').fill(folder, { timeout: 3000 }).then(() => true, () => false), {
    timeout: 30_000,
    what: `the run picker to take "${folder}"`,
  });
  await sleep(300);
  await page.keyboard.press('Enter');
}

/**
 * The points the dashboard's loss and accuracy charts should hold for a run's metrics.jsonl: each
 * batch step and each epoch once per drawn series (webview/dashboard.ts draws teacher and student
 * batches, every network's epoch loss, teacher and student train and validation accuracy and the
 * student alone's validation accuracy). Computed here from the file, not by the page's model.
 * @param {string} dir
 */
function distinctChartPoints(dir) {
  /** @type {Map<string, Set<number>>} */
  const sets = new Map();
  let timeline = 0;
  const add = (/** @type {string} */ key, /** @type {number} */ x) => {
    if (!sets.has(key)) sets.set(key, new Set());
    sets.get(key)?.add(x);
  };
  for (const line of fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n')) {
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue; // torn or empty
    }
    if (e.type === 'batch' && (e.network === 'teacher' || e.network === 'student')) add(`batch ${e.network}`, e.step);
    if (e.type === 'epoch') add(`epoch ${e.network}`, e.epoch);
    // The timeline lists every stage and phase event (a replayed one too): one item each.
    if (e.type === 'stage' || e.type === 'phase') timeline++;
  }
  const n = (/** @type {string} */ key) => sets.get(key)?.size ?? 0;
  return {
    loss: n('batch teacher') + n('batch student') + n('epoch teacher') + n('epoch student') + n('epoch alone'),
    accuracy: 2 * n('epoch teacher') + 2 * n('epoch student') + n('epoch alone'),
    timeline,
  };
}

const ACTIVATED = 'SKD Lab activates (activity bar, palette, Experiments tree)';
const TINY_DONE = 'run the tiny experiment from the palette; the tree shows progress, then done';

/**
 * The methods bench folders in a runs folder (`bench-methods-<time>`).
 * @param {string} runsDir
 */
function benchFolders(runsDir) {
  if (!fs.existsSync(runsDir)) return [];
  return fs.readdirSync(runsDir).filter((d) => d.startsWith('bench-methods-')).map((d) => path.join(runsDir, d));
}

/** @type {Test[]} */
export const tests = [
  {
    name: 'each problem appears once (VS Code has the schema, the trainer what a schema cannot say)',
    needs: [ACTIVATED],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      await showFile(page, 'broken.skd.json');
      const rows = await waitFor(
        async () => {
          const r = await problemMarkers(page);
          return r.some((x) => /modle/i.test(x)) ? r : null;
        },
        { timeout: 30_000, what: 'a Problems entry about the misspelt key "modle"' },
      );
      // The trainer's diagnostics arrive a little after VS Code's: give them time to double up.
      await sleep(3000);
      const markers = (await problemMarkers(page)).filter((r) => /broken\.skd\.json/.test(r) || !/\.skd\.json/.test(r));
      ctx.log(`  problems of broken.skd.json: ${markers.join(' || ').slice(0, 800)}`);
      const aboutModle = markers.filter((r) => /modle/i.test(r));
      if (aboutModle.length !== 1) throw new Error(`the misspelt key is reported ${aboutModle.length} times: ${aboutModle.join(' || ')} (first seen: ${rows.length})`);
      const missingModel = markers.filter((r) => /\bmodel\b/i.test(r.replace(/modle/gi, '')));
      if (missingModel.length > 1) throw new Error(`the missing "model" is reported ${missingModel.length} times: ${missingModel.join(' || ')}`);
      await hideProblems(page);
    },
  },
  {
    name: 'a // comment and a trailing comma are not flagged (*.skd.json opens as JSON with Comments)',
    needs: ['each problem appears once (VS Code has the schema, the trainer what a schema cannot say)'],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      await showFile(page, 'commented.skd.json');
      const mode = await waitFor(async () => {
        const m = await languageMode(page);
        return m ? m : null;
      }, { timeout: 10_000, what: 'the language mode in the status bar' });
      ctx.log(`  language mode: ${mode}`);
      if (!/JSON with Comments/i.test(mode)) throw new Error(`commented.skd.json opens as "${mode}", not "JSON with Comments"`);
      // editing.skd.json has a schema error: once it shows, VS Code's JSON server has the schema.
      await showFile(page, 'editing.skd.json');
      await waitFor(async () => (await problemMarkers(page)).some((r) => /editing\.skd\.json/.test(r) || /"name"/.test(r)), {
        timeout: 30_000,
        what: 'the schema error of editing.skd.json (method without "name")',
      });
      await showFile(page, 'commented.skd.json');
      await sleep(3000);
      const squiggles = await page.locator('.editor-instance .monaco-editor .squiggly-error, .editor-instance .monaco-editor .squiggly-warning').count();
      const markers = (await problemMarkers(page)).filter((r) => /commented\.skd\.json/.test(r) || /comment/i.test(r));
      if (squiggles > 0 || markers.length > 0) throw new Error(`commented.skd.json is flagged: ${squiggles} squiggles; ${markers.join(' || ')}`);
      await hideProblems(page);
    },
  },
  {
    name: 'hover on a key shows its description once',
    needs: [ACTIVATED],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      await showFile(page, 'editing.skd.json');
      const key = page.locator('.editor-instance .monaco-editor .view-lines span span', { hasText: /^"seed"$/ }).first();
      await key.waitFor({ state: 'visible', timeout: 10_000 });
      const hover = page.locator('.monaco-hover:not(.hidden)').first();
      const text = await waitFor(
        async () => {
          await page.mouse.move(0, 0);
          await sleep(200);
          await key.hover();
          await hover.waitFor({ state: 'visible', timeout: 3000 });
          await sleep(1500); // a second provider's answer would be added by now
          const t = await hover.innerText();
          return /Random seed/.test(t) ? t : null;
        },
        { timeout: 40_000, interval: 500, what: 'a hover on "seed" with its description ("Random seed ...")' },
      );
      const count = (text.match(/Random seed/g) ?? []).length;
      ctx.log(`  hover: ${text.replace(/\s+/g, ' ').slice(0, 300)}`);
      if (count !== 1) throw new Error(`the hover shows the description ${count} times: ${text}`);
      await page.mouse.move(0, 0);
      await page.keyboard.press('Escape');
    },
  },
  {
    name: 'completion in "method": {} lists each key once',
    needs: [ACTIVATED],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      await showFile(page, 'editing.skd.json');
      const expected = Object.keys(SCHEMA.properties.method.properties);
      const widget = page.locator('.editor-widget.suggest-widget.visible');
      /** @type {{ size: number, labels: string[] }} */
      const got = await waitFor(
        async () => {
          await page.keyboard.press('Escape');
          await goToLine(page, 7, 14); // between the braces of `"method": {}`
          await page.keyboard.press('Control+Space');
          await widget.waitFor({ state: 'visible', timeout: 5000 });
          await sleep(1500); // both providers have answered by now
          const rows = widget.locator('.monaco-list-row');
          const size = Number((await rows.first().getAttribute('aria-setsize')) ?? (await rows.count()));
          const labels = await rows.evaluateAll((els) => els.map((e) => (e.querySelector('.label-name')?.textContent ?? '').trim()));
          return labels.some((l) => /temperature|stages/.test(l)) ? { size, labels } : null;
        },
        { timeout: 40_000, interval: 500, what: 'completion of method keys in "method": {}' },
      );
      await page.keyboard.press('Escape');
      ctx.log(`  completion: ${got.size} items; shown: ${got.labels.join(', ')}`);
      const dupes = got.labels.filter((l, i) => got.labels.indexOf(l) !== i);
      if (dupes.length > 0) throw new Error(`completion lists ${dupes.join(', ')} more than once`);
      if (got.size !== expected.length) throw new Error(`completion lists ${got.size} items for the ${expected.length} keys of "method" (${expected.join(', ')})`);
    },
  },
  {
    name: 'send to device from a run in the tree: export first, then serve on the LAN address',
    needs: [TINY_DONE],
    timeout: 150_000,
    async fn(ctx) {
      const { page } = ctx;
      await dismissQuickInput(page);
      await showSkdSidebar(page);
      // An expanded row's children come from the tree provider a moment later, and a refresh
      // after a window reload may draw the row again, collapsed: expand it until they show.
      let rows = await treeRows(page);
      const runRow = await waitFor(
        async () => {
          await expandTreeRow(page, 'tiny');
          rows = await treeRows(page);
          const exp = rows.findIndex((r) => /tiny/.test(r.label));
          return exp < 0 ? null : (rows.slice(exp + 1).find((r) => r.level > rows[exp].level) ?? null);
        },
        { timeout: 15_000, interval: 250, what: 'a run row under tiny in the tree' },
      ).catch(() => {
        throw new Error(`no run row under tiny in the tree: ${JSON.stringify(rows.map((r) => r.label))}`);
      });
      const row = experimentsPane(page).locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: runRow.label }) }).first();
      await row.click({ button: 'right' });
      const item = page.locator('.context-view .monaco-menu .action-item', { hasText: /Send Student to Device/ }).first();
      await item.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => {
        throw new Error(`no "Send Student to Device..." in the context menu of run row "${runRow.label}"`);
      });
      // A click on a menu item of the web workbench's context menu is not always taken; the
      // keyboard is (the item under the pointer is the focused one).
      await item.hover();
      await page.keyboard.press('Enter');
      const first = await answerQuickPick(page, { match: /Export/, timeout: 10_000 });
      ctx.log(`  offered: ${first?.join(' / ')}`);
      if (!first?.some((r) => /Export the student first/.test(r))) throw new Error(`the run has no export, but no offer to export first: ${JSON.stringify(first)}`);
      for (const [match, what] of /** @type {const} */ ([[/^tfjs/, 'format'], [/^none/, 'quantization'], [/Inside the run/, 'where']])) {
        const seen = await answerQuickPick(page, { match, timeout: 10_000 });
        if (!seen) throw new Error(`no quick pick for the export's ${what}`);
      }
      const targets = await waitFor(async () => {
        const r = await answerQuickPick(page, { match: /Serve/, timeout: 1000 });
        return r && r.some((x) => /Serve|Copy/.test(x)) ? r : null;
      }, { timeout: 90_000, interval: 500, what: 'the export to finish and the "How to send it" pick' });
      ctx.log(`  targets: ${targets.join(' / ')}`);
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /serving the student at/ }).first();
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      const message = (await toast.innerText()).replace(/\s+/g, ' ');
      ctx.log(`  ${message.slice(0, 300)}`);
      const url = /https?:\/\/[^\s"'<>]+?(?=[\s—]|$)/.exec(message)?.[0]?.replace(/[.,]$/, '');
      if (!url) throw new Error(`no URL in "${message}"`);
      const host = new URL(url).hostname;
      const lan = lanAddresses();
      if (host === '0.0.0.0') throw new Error(`the URL shows 0.0.0.0: ${url}`);
      if (lan.length > 0 && !lan.includes(host)) throw new Error(`the URL ${url} is not one of this machine's LAN addresses (${lan.join(', ')})`);
      const status = await httpStatus(url);
      if (status !== 200) throw new Error(`GET ${url} answered ${status}`);
      const exportsDir = path.join(runDirs(ctx.workspace, 'tiny').at(-1) ?? '', 'exports');
      ctx.log(`  exports: ${fs.existsSync(exportsDir) ? fs.readdirSync(exportsDir).join(', ') : 'none'}; ${url} answers 200`);
      await toast.locator('.monaco-button', { hasText: 'Stop Serving' }).click().catch(() => {});
    },
  },
  {
    name: 'a reloaded window restores the comparison panel',
    needs: ['the comparison panel lists the runs'],
    timeout: 90_000,
    async fn(ctx) {
      const { page } = ctx;
      await reloadWindow(page);
      const tab = page.locator('.tabs-container .tab', { hasText: /SKD: Compare/ }).first();
      await tab.waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
        throw new Error('after a reload there is no "SKD: Compare" editor tab (the comparison panel was not restored)');
      });
      await tab.click();
      const frame = await webviewFrame(page, 'table#compare-table', 30_000);
      const rows = await waitFor(async () => {
        const n = await frame.locator('table#compare-table tbody tr').count();
        return n > 0 ? n : null;
      }, { timeout: 20_000, what: 'the restored comparison to list runs' });
      ctx.log(`  restored comparison: ${rows} rows`);
      // The view comes back too: the sort and grouping the comparison test chose.
      const table = frame.locator('table#compare-table');
      const view = { sort: await table.getAttribute('data-sort'), groupBy: await table.getAttribute('data-group-by') };
      if (view.sort !== 'studentAcc:asc' || view.groupBy !== 'method') throw new Error(`the restored comparison lost its view: ${JSON.stringify(view)} (expected studentAcc:asc, method)`);
    },
  },
  {
    name: 'a dashboard open while its run is killed mid-epoch and resumed draws each point once',
    needs: [ACTIVATED],
    timeout: 300_000,
    async fn(ctx) {
      const { page } = ctx;
      const before = new Set(runDirs(ctx.workspace, 'long'));
      await showFile(page, 'long.skd.json');
      await runCommand(page, 'SKD: Run Experiment');
      await answerQuickPick(page, { match: 'long', timeout: 2000 });
      const dir = await waitFor(() => runDirs(ctx.workspace, 'long').find((d) => !before.has(d)) ?? null, { timeout: 60_000, what: 'a new long-skd run directory' });
      const folder = path.basename(dir);
      const metrics = path.join(dir, 'metrics.jsonl');
      const logged = () => (fs.existsSync(metrics) ? fs.readFileSync(metrics, 'utf8') : '');
      await waitFor(() => logged().includes('"batch"'), { timeout: 90_000, what: `the first batch in ${folder}/metrics.jsonl` });
      await runCommand(page, 'SKD: Open Dashboard');
      await pickRunFolder(page, folder);
      await webviewFrame(page, 'canvas#chart-loss', 30_000);
      // Killed mid-epoch, while the dashboard follows it: after a batch of the teacher's second epoch.
      await waitFor(() => /"type":"batch","network":"teacher","epoch":1/.test(logged()), { timeout: 120_000, interval: 20, what: 'a batch of teacher epoch 2' });
      const pid = Number(JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')).pid);
      process.kill(pid, 'SIGKILL');
      await waitFor(() => runState(dir).state === 'failed', { timeout: 30_000, what: `${folder} to be recorded as failed after SIGKILL (is ${JSON.stringify(runState(dir))})` });
      // A crash in the middle of a write leaves a torn last line; the resume closes it off as a bad line.
      fs.appendFileSync(metrics, '{"time":"2026-01-01T00:00:00.000Z","type":"batch","netw');
      await runCommand(page, 'SKD: Resume Run');
      await pickRunFolder(page, folder);
      await waitFor(() => runState(dir).state === 'done', { timeout: 240_000, interval: 500, what: `${folder} to finish after the resume (is ${JSON.stringify(runState(dir))})` });
      const want = distinctChartPoints(dir);
      // The dashboard that stayed open: its tab, then its charts.
      await page.locator('.tabs-container .tab', { hasText: /SKD: long/ }).first().click().catch(() => {});
      const frame = await webviewFrame(page, 'canvas#chart-loss', 30_000);
      /** @type {Record<string, number>} */
      let got = {};
      await waitFor(
        async () => {
          for (const id of ['loss', 'accuracy']) got[id] = Number(await frame.locator(`#chart-${id}`).getAttribute('data-points', { timeout: 1000 }).catch(() => -1));
          got.timeline = Number(await frame.locator('#stage-timeline').getAttribute('data-items', { timeout: 1000 }).catch(() => -1));
          return got.loss === want.loss && got.accuracy === want.accuracy && got.timeline === want.timeline;
        },
        { timeout: 20_000, what: 'the charts to hold each distinct point once, the timeline each event once' },
      ).catch((e) => {
        throw new Error(`${e.message}: the page shows ${JSON.stringify(got)}, metrics.jsonl has ${JSON.stringify(want)}`);
      });
      ctx.log(`  ${folder}: the page shows ${JSON.stringify(got)} = metrics.jsonl's ${JSON.stringify(want)}`);
      await ctx.shot('dashboard-after-kill-resume');
    },
  },
  {
    name: 'a method bench from the palette: its row in the tree, stopped and resumed from the row, then Compare Methods with the report',
    needs: [ACTIVATED],
    timeout: 300_000,
    async fn(ctx) {
      const { page } = ctx;
      const runsDir = path.join(ctx.workspace, 'runs');
      const benchesBefore = new Set(benchFolders(runsDir));
      await showFile(page, 'tiny.skd.json');
      await runCommand(page, 'SKD: Run Method Bench');
      // The methods pick opens with none, kd and skd ticked: take them as they are.
      const methods = await answerQuickPick(page, { all: false, timeout: 10_000 });
      if (!methods) throw new Error('Run Method Bench asked for no methods');
      ctx.log(`  methods offered: ${methods.join(' / ').slice(0, 300)}`);
      const seeds = page.locator('.quick-input-widget input');
      await waitFor(async () => (await seeds.inputValue().catch(() => '')) === '5', { timeout: 10_000, what: 'the seeds box (default 5)' });
      await seeds.fill('2');
      await page.keyboard.press('Enter');
      const bench = await waitFor(() => benchFolders(runsDir).find((d) => !benchesBefore.has(d)) ?? null, { timeout: 30_000, what: 'a new bench-methods-* folder in the runs folder' });
      const name = path.basename(bench);
      ctx.log(`  bench folder: ${name}`);
      await showSkdSidebar(page);
      /** @type {unknown} */
      let lastRows = null;
      const benchRow = async () => {
        const rows = await treeRows(page);
        lastRows = rows.map((r) => `${r.label} · ${r.description}`);
        return rows.find((r) => r.label === name);
      };
      await waitFor(benchRow, { timeout: 30_000, what: `the tree row "${name}"` });
      // Stopped once its students train: the running ones checkpoint, no other starts.
      await waitFor(() => fs.readdirSync(bench).some((d) => /-s\d+$/.test(d) && runState(path.join(bench, d)).state === 'running'), {
        timeout: 120_000,
        interval: 200,
        what: `a student of ${name} to be training`,
      });
      await runCommand(page, 'SKD: Stop Method Bench');
      await waitFor(async () => /stopped; Run Method Bench on its row resumes it/.test(await page.locator('.notifications-toasts').innerText().catch(() => '')), {
        timeout: 60_000,
        what: 'the notice that the bench stopped',
      });
      const students = () => fs.readdirSync(bench).filter((d) => /-s\d+$/.test(d) && fs.statSync(path.join(bench, d)).isDirectory());
      const states = students().map((d) => `${d}: ${runState(path.join(bench, d)).state}`);
      ctx.log(`  after Stop: ${states.join(', ')}; row: ${(await benchRow())?.description}`);
      if (states.some((s) => s.endsWith(': running'))) throw new Error(`a student still trains after Stop Method Bench: ${states.join(', ')}`);
      // Resumed from the bench's row (its context menu), to the end.
      // The row redraws as the listing catches up with the stopped runs: until then its menu is a running bench's.
      await waitFor(async () => !/running/.test((await benchRow())?.description ?? 'running'), { timeout: 30_000, what: `the row "${name}" to show no running run` });
      const row = experimentsPane(page).locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: name }) }).first();
      const item = page.locator('.context-view .monaco-menu .action-item', { hasText: /Run Method Bench/ }).first();
      await waitFor(
        async () => {
          await row.click({ button: 'right' });
          if (await item.waitFor({ state: 'visible', timeout: 2000 }).then(() => true, () => false)) return true;
          await page.keyboard.press('Escape');
          return false;
        },
        { timeout: 20_000, what: `"Run Method Bench..." in the context menu of the row "${name}"` },
      );
      await item.hover();
      await page.keyboard.press('Enter');
      const done = await waitFor(async () => {
        const r = await benchRow();
        // Six runs: the teacher (seed 1's student alone), kd-s1, skd-s1 and seed 2's three.
        return r && /^6\/6 done$/.test(r.description) ? r : null;
      }, { timeout: 180_000, interval: 500, what: `the row "${name}" to say 6/6 done` }).catch((e) => {
        throw new Error(`${e.message}; the tree: ${JSON.stringify(lastRows)}; on disk: ${fs.readdirSync(bench).filter((d) => fs.existsSync(path.join(bench, d, 'status.json'))).map((d) => `${d} ${runState(path.join(bench, d)).state}`).join(', ')}`);
      });
      ctx.log(`  resumed: ${done.label} · ${done.description}`);
      const report = JSON.parse(fs.readFileSync(path.join(bench, 'report.json'), 'utf8'));
      if (report.missing.length) throw new Error(`the bench report misses ${report.missing.join(', ')}`);
      await ctx.shot('tree-bench', page.locator('.part.sidebar'));
      // Compare Methods: grouped by method, the report's paired difference to KD on SKD's row.
      await runCommand(page, 'SKD: Compare Methods');
      await answerQuickPick(page, { match: name, timeout: 5000 });
      const frame = await waitFor(async () => {
        const f = await webviewFrame(page, 'table#compare-table', 5000).catch(() => null);
        if (!f) return null;
        return /of bench /.test(await f.locator('#compare-count').innerText().catch(() => '')) ? f : null;
      }, { timeout: 40_000, what: `a comparison "of bench ${name}"` });
      const groups = await waitFor(async () => {
        const g = await frame.locator('table#compare-table tbody tr.group-row').evaluateAll((rs) => rs.map((r) => /** @type {HTMLElement} */ (r).dataset.group ?? ''));
        return g.length >= 3 ? g : null;
      }, { timeout: 15_000, what: 'one group row per method' });
      if (['none', 'kd', 'skd'].some((m) => !groups.includes(m))) throw new Error(`group rows ${groups.join(', ')}, not none, kd and skd`);
      const skdRow = (await frame.locator('table#compare-table tbody tr.group-row[data-group="skd"]').innerText()).replace(/\s+/g, ' ');
      const kdRow = (await frame.locator('table#compare-table tbody tr.group-row[data-group="kd"]').innerText()).replace(/\s+/g, ' ');
      ctx.log(`  skd: ${skdRow.slice(0, 200)} || kd: ${kdRow.slice(0, 200)}`);
      const want = report.rows.find((/** @type {{ method: string }} */ r) => r.method === 'skd').vsKd.test;
      const delta = await frame.locator('table#compare-table tbody tr.group-row[data-group="skd"] .delta:not(.held-out)').innerText().catch(() => '');
      const shown = /Δ ([+\-−]\d+\.\d+)/.exec(delta)?.[1];
      if (!/baseline/.test(kdRow)) throw new Error(`the kd group is not marked as the baseline: ${kdRow}`);
      if (shown === undefined || Math.abs(Number(shown.replace('−', '-')) - want.mean * 100) > 0.006) throw new Error(`SKD's row shows ${shown} against KD; the report says ${(want.mean * 100).toFixed(2)}`);
      // The group chart: the student's test accuracy, mean ± std, a point per method.
      await waitFor(async () => (await frame.locator('#group-chart').isVisible()) && Number(await frame.locator('canvas#chart-groups').getAttribute('data-groups')) === 3, {
        timeout: 10_000,
        what: 'the group chart (canvas#chart-groups) with a point per method',
      });
      await frame.locator('#group-chart').scrollIntoViewIfNeeded();
      await ctx.shot('compare-bench');
    },
  },
];
