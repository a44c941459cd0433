// @ts-check
// SKD Lab as a user meets it: a workspace with experiment files, the command palette, the
// Experiments tree, the dashboard and the comparison panel. Each test is a step of one session
// in one workbench; later steps name the steps they need.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  answerQuickPick,
  dismissQuickInput,
  expandTreeRow,
  experimentsPane,
  openFile,
  paletteLists,
  problemsRows,
  reloadWindow,
  runCommand,
  showSkdSidebar,
  skdActivityItem,
  treeRows,
  waitFor,
  webviewFrame,
  sleep,
} from '../lib/ui.mjs';

/**
 * @typedef {{
 *   page: import('playwright-core').Page,
 *   workspace: string,
 *   artifacts: string,
 *   log: (msg: string) => void,
 *   shot: (name: string, target?: import('playwright-core').Locator) => Promise<string>,
 * }} Ctx
 * @typedef {{ name: string, needs?: string[], timeout: number, fn: (ctx: Ctx) => Promise<void> }} Test
 */

/**
 * Run directories of the workspace whose name starts with `prefix`, oldest first.
 * @param {string} workspace
 * @param {string} prefix
 */
export function runDirs(workspace, prefix) {
  const roots = [path.join(workspace, 'runs'), path.join(workspace, '.skd', 'runs'), workspace];
  /** @type {string[]} */
  const found = [];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    for (const e of fs.readdirSync(root, { withFileTypes: true })) {
      if (!e.isDirectory() || !e.name.startsWith(prefix)) continue;
      const dir = path.join(root, e.name);
      if (fs.existsSync(path.join(dir, 'status.json')) || fs.existsSync(path.join(dir, 'experiment.json'))) found.push(dir);
    }
    if (found.length) break;
  }
  return found.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
}

/**
 * The `state` of a run directory's status.json (running | done | failed | stopped).
 * @param {string} dir
 * @returns {{ state: string, error?: string }}
 */
export function runState(dir) {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8'));
    return { state: String(s.state ?? s.status ?? ''), error: s.error ? String(s.error.message ?? s.error) : undefined };
  } catch {
    return { state: '' };
  }
}

export const RUNNING = /running|queued|epoch|stage|\d+\s*%|\d+\/\d+/i;
export const DONE = /\bdone\b|finished|completed|succeeded|acc(uracy)?\s*[:=]?\s*\d/i;
const STOPPED = /stopped|paused|interrupted|cancel/i;

/**
 * Waits until the tree shows a run row of the experiment `expLabel` matching `re`; returns the
 * distinct run-row texts seen on the way (for the report).
 * @param {Ctx} ctx
 * @param {string} expLabel label of the experiment row (file or experiment name)
 * @param {RegExp} re
 * @param {number} timeout
 * @param {Set<string>} [seen]
 */
export async function waitForRunRow(ctx, expLabel, re, timeout, seen = new Set()) {
  await showSkdSidebar(ctx.page);
  const row = await waitFor(
    async () => {
      const rows = await treeRows(ctx.page);
      const expIdx = rows.findIndex((r) => r.label.includes(expLabel) || r.aria.includes(expLabel));
      if (expIdx < 0) return null;
      if (rows[expIdx].expanded === 'false') {
        await expandTreeRow(ctx.page, rows[expIdx].label).catch(() => {});
        return null;
      }
      const lvl = rows[expIdx].level;
      for (let i = expIdx + 1; i < rows.length && rows[i].level > lvl; i++) {
        const t = `${rows[i].label} | ${rows[i].description}`;
        if (!seen.has(t)) {
          seen.add(t);
          ctx.log(`  tree: ${t}`);
        }
        if (re.test(`${rows[i].label} ${rows[i].description} ${rows[i].aria}`)) return rows[i];
      }
      return null;
    },
    { timeout, interval: 300, what: `a run row of "${expLabel}" in the Experiments tree matching ${re}` },
  );
  return { row, seen };
}

/**
 * Drags the side bar's sash so the tree shows run descriptions in full.
 * @param {import('playwright-core').Page} page
 * @param {number} width
 */
async function widenSidebar(page, width) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
  await sleep(300);
}

/**
 * Copies the newest tiny run as a finished KD run of the same experiment with another student
 * accuracy (its folder does not start with "tiny", so other tests still find theirs).
 * @param {Ctx} ctx
 */
function addKdVariant(ctx) {
  const source = runDirs(ctx.workspace, 'tiny').at(-1);
  if (!source) throw new Error('no tiny run to copy');
  const dir = path.join(path.dirname(source), 'kd-tiny-20260101-000000');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(source, dir, { recursive: true });
  // Another accuracy whatever the tiny run reached (5 points down, or up when it is low).
  const shift = (/** @type {number} */ a) => (a >= 0.5 ? a - 0.05 : a + 0.05);
  const edit = (/** @type {string} */ file, /** @type {(v: any) => void} */ fn) => {
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) return;
    const v = JSON.parse(fs.readFileSync(p, 'utf8'));
    fn(v);
    fs.writeFileSync(p, JSON.stringify(v, null, 2));
  };
  edit('experiment.json', (e) => (e.method = { ...e.method, name: 'kd' }));
  edit('summary.json', (s) => {
    s.method = 'kd';
    s.student.testAcc = shift(s.student.testAcc);
  });
  const metrics = path.join(dir, 'metrics.jsonl');
  const lines = fs.readFileSync(metrics, 'utf8').split('\n').map((l) => {
    if (!l.trim()) return l;
    const ev = JSON.parse(l);
    if (ev.type === 'run') ev.method = 'kd';
    if (ev.type === 'final') ev.studentTestAcc = shift(ev.studentTestAcc);
    if (ev.type === 'epoch' && ev.network === 'student') ev.valAcc = shift(ev.valAcc);
    return JSON.stringify(ev);
  });
  fs.writeFileSync(metrics, lines.join('\n'));
  return dir;
}

/** @type {Test[]} */
export const tests = [
  {
    name: 'workbench opens the example workspace',
    timeout: 60_000,
    async fn({ page }) {
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'tiny.skd.json' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    },
  },
  {
    name: 'SKD Lab activates (activity bar, palette, Experiments tree)',
    needs: ['workbench opens the example workspace'],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      await skdActivityItem(page).waitFor({ state: 'visible', timeout: 30_000 }).catch(() => {
        throw new Error('no SKD Lab icon in the activity bar (view container "skdLab" not contributed or extension not loaded)');
      });
      if (!(await paletteLists(page, 'SKD: Run Experiment'))) throw new Error('palette does not list "SKD: Run Experiment"');
      await showSkdSidebar(page);
      const rows = await waitFor(
        async () => {
          const r = await treeRows(page);
          return r.some((x) => /tiny/.test(x.label + x.aria)) ? r : null;
        },
        { timeout: 30_000, what: 'the Experiments tree to list tiny.skd.json (the extension activated and found the experiment files)' },
      );
      ctx.log(`  tree rows: ${rows.map((r) => `${r.label}${r.description ? ` (${r.description})` : ''}`).join('; ')}`);
    },
  },
  {
    name: 'a broken key shows a diagnostic',
    needs: ['workbench opens the example workspace'],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      await openFile(page, 'broken.skd.json');
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'attached', timeout: 30_000 }).catch(() => {
        throw new Error('no error squiggle in broken.skd.json (misspelt key "modle" under "student")');
      });
      await page.keyboard.press('Control+Shift+M'); // Problems panel
      const rows = await waitFor(
        async () => {
          const r = await problemsRows(page);
          return r.some((x) => /modle|model/i.test(x)) ? r : null;
        },
        { timeout: 20_000, what: 'a Problems entry about the misspelt key (modle/model)' },
      );
      ctx.log(`  problems: ${rows.join(' || ').slice(0, 600)}`);
      await ctx.shot('diagnostics');
      await page.keyboard.press('Control+Shift+M'); // hide the panel again
    },
  },
  {
    name: 'run the tiny experiment from the palette; the tree shows progress, then done',
    needs: ['SKD Lab activates (activity bar, palette, Experiments tree)'],
    timeout: 180_000,
    async fn(ctx) {
      const { page } = ctx;
      await openFile(page, 'tiny.skd.json');
      await runCommand(page, 'SKD: Run Experiment');
      const picked = await answerQuickPick(page, { match: 'tiny', timeout: 2000 });
      if (picked) ctx.log(`  quick pick: ${picked.join(' / ')}`);
      const seen = new Set();
      const t0 = Date.now();
      await waitForRunRow(ctx, 'tiny', RUNNING, 60_000, seen);
      ctx.log(`  progress shown after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      await ctx.shot('tree-running', page.locator('.part.sidebar'));
      await waitForRunRow(ctx, 'tiny', DONE, 150_000, seen).catch(async (e) => {
        const dirs = runDirs(ctx.workspace, 'tiny');
        const st = dirs.length ? runState(dirs[dirs.length - 1]) : { state: 'no run directory' };
        throw new Error(`${e.message}; status.json: ${JSON.stringify(st)}`);
      });
      ctx.log(`  done after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const dirs = runDirs(ctx.workspace, 'tiny');
      if (!dirs.length) throw new Error('the tree says done but no run directory tiny-skd-* in the workspace');
      const st = runState(dirs[dirs.length - 1]);
      if (st.state !== 'done') throw new Error(`status.json of ${path.basename(dirs[dirs.length - 1])} is ${JSON.stringify(st)}`);
    },
  },
  {
    name: 'the dashboard charts hold data points',
    needs: ['run the tiny experiment from the palette; the tree shows progress, then done'],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      await runCommand(page, 'SKD: Open Dashboard');
      const picked = await answerQuickPick(page, { match: 'tiny', timeout: 2000 });
      if (picked) ctx.log(`  quick pick: ${picked.join(' / ')}`);
      const frame = await webviewFrame(page, 'canvas#chart-loss', 30_000);
      /** @type {Record<string, number>} */
      let points = {};
      await waitFor(
        async () => {
          points = {};
          for (const id of ['chart-loss', 'chart-accuracy', 'chart-tbt', 'chart-tet']) {
            const v = await frame.locator(`#${id}`).getAttribute('data-points', { timeout: 1000 }).catch(() => null);
            points[id] = v === null ? -1 : Number(v);
          }
          return Object.values(points).every((n) => n > 0);
        },
        { timeout: 20_000, what: 'data-points > 0 on #chart-loss, #chart-accuracy, #chart-tbt, #chart-tet' },
      ).catch((e) => {
        throw new Error(`${e.message}; data-points: ${JSON.stringify(points)}`);
      });
      ctx.log(`  data-points: ${JSON.stringify(points)}`);
      if ((await frame.locator('#stage-timeline').count()) === 0) throw new Error('no #stage-timeline in the dashboard');
      await sleep(800); // let chart animations settle for the screenshot
      await ctx.shot('dashboard');
    },
  },
  {
    name: 'stop a running experiment and resume it to the end',
    needs: ['SKD Lab activates (activity bar, palette, Experiments tree)'],
    timeout: 240_000,
    async fn(ctx) {
      const { page } = ctx;
      await openFile(page, 'long.skd.json');
      await runCommand(page, 'SKD: Run Experiment');
      await answerQuickPick(page, { match: 'long', timeout: 2000 });
      const seen = new Set();
      await waitForRunRow(ctx, 'long', RUNNING, 60_000, seen);
      // Let it get past the first checkpoint so resume has something to continue from.
      await waitFor(
        async () => {
          const d = runDirs(ctx.workspace, 'long');
          if (!d.length) return false;
          const m = path.join(d[d.length - 1], 'metrics.jsonl');
          return fs.existsSync(m) && fs.readFileSync(m, 'utf8').includes('"epoch"');
        },
        { timeout: 60_000, what: 'the long run to log its first epoch to metrics.jsonl' },
      );
      const dir = runDirs(ctx.workspace, 'long').at(-1) ?? '';
      const linesBefore = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').length;
      await runCommand(page, 'SKD: Stop Run');
      const picked = await answerQuickPick(page, { match: 'long', timeout: 2000 });
      if (picked) ctx.log(`  stop quick pick: ${picked.join(' / ')}`);
      await waitForRunRow(ctx, 'long', STOPPED, 30_000, seen);
      await waitFor(() => runState(dir).state === 'stopped', { timeout: 15_000, what: `status.json of ${path.basename(dir)} to say stopped (is ${JSON.stringify(runState(dir))})` });
      ctx.log(`  stopped with ${linesBefore}+ metric lines`);
      await ctx.shot('tree-stopped', page.locator('.part.sidebar'));
      await runCommand(page, 'SKD: Resume Run');
      const picked2 = await answerQuickPick(page, { match: 'long', timeout: 2000 });
      if (picked2) ctx.log(`  resume quick pick: ${picked2.join(' / ')}`);
      await waitFor(() => runState(dir).state === 'running' || runState(dir).state === 'done', {
        timeout: 30_000,
        what: `status.json of ${path.basename(dir)} to say running again after resume`,
      });
      await waitForRunRow(ctx, 'long', DONE, 200_000, seen).catch((e) => {
        throw new Error(`${e.message}; status.json: ${JSON.stringify(runState(dir))}`);
      });
      if (runState(dir).state !== 'done') throw new Error(`after resume status.json is ${JSON.stringify(runState(dir))}`);
      if (runDirs(ctx.workspace, 'long').length !== 1) ctx.log('  note: resume created a second run directory');
    },
  },
  {
    name: 'the comparison panel lists the runs',
    needs: ['run the tiny experiment from the palette; the tree shows progress, then done'],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      // A second finished run with another method and accuracy, so sorting and grouping show.
      const variant = addKdVariant(ctx);
      ctx.log(`  added ${path.basename(variant)} (kd, another student accuracy)`);
      await runCommand(page, 'SKD: Refresh');
      await sleep(1500);
      await runCommand(page, 'SKD: Compare Runs');
      const picked = await answerQuickPick(page, { all: true, timeout: 3000 });
      if (picked) ctx.log(`  quick pick: ${picked.join(' / ')}`);
      const frame = await webviewFrame(page, 'table#compare-table', 30_000);
      const expected = runDirs(ctx.workspace, 'tiny').length + runDirs(ctx.workspace, 'long').length;
      const rows = await waitFor(
        async () => {
          const r = await frame.locator('table#compare-table tbody tr').allInnerTexts();
          return r.length >= Math.min(expected, 2) && r.length > 0 ? r : null;
        },
        { timeout: 15_000, what: `table#compare-table to have a row per run (${expected} runs on disk)` },
      );
      ctx.log(`  compare rows: ${rows.map((r) => r.replace(/\s+/g, ' ').slice(0, 120)).join(' || ')}`);
      const names = () => frame.locator('table#compare-table tbody tr.run-row').evaluateAll((rs) => rs.map((r) => /** @type {HTMLElement} */ (r).dataset.name ?? ''));
      const before = await names();
      await frame.locator('table#compare-table th[data-key="studentAcc"]').click();
      const after = await waitFor(
        async () => {
          const n = await names();
          return n.join() !== before.join() ? n : null;
        },
        { timeout: 5000, what: `a click on "Student acc." to change the row order (was ${before.join(', ')})` },
      );
      ctx.log(`  sorted by student accuracy: ${before.join(', ')} -> ${after.join(', ')}`);
      await frame.locator('#compare-group-by').selectOption('method');
      const groups = await waitFor(
        async () => {
          const g = await frame.locator('table#compare-table tbody tr.group-row').evaluateAll((rs) => rs.map((r) => /** @type {HTMLElement} */ (r).dataset.group ?? ''));
          return g.length >= 2 ? g : null;
        },
        { timeout: 5000, what: 'group rows per method after "Group by: method"' },
      );
      ctx.log(`  grouped by method: ${groups.join(', ')}`);
      await sleep(500);
      await ctx.shot('compare');
    },
  },
  {
    name: 'tree screenshot with the finished runs',
    needs: ['SKD Lab activates (activity bar, palette, Experiments tree)'],
    timeout: 150_000,
    async fn(ctx) {
      const { page } = ctx;
      await dismissQuickInput(page);
      await showSkdSidebar(page);
      for (const label of ['tiny', 'long']) await expandTreeRow(page, label).catch(() => {});
      await widenSidebar(page, 420);
      const rows = await treeRows(page);
      ctx.log(`  tree: ${rows.map((r) => `${'  '.repeat(Math.max(0, r.level - 1))}${r.label} ${r.description}`).join(' / ')}`);
      // The long run's dashboard (three stages) in a taller window, for the README.
      if (runDirs(ctx.workspace, 'long').some((d) => runState(d).state === 'done')) {
        // The pick of runs can take seconds to open on a loaded machine; it is answered as soon as
        // it shows, and the command is given again if no dashboard came of it.
        /** @type {import('playwright-core').Frame | undefined} */
        let frame;
        for (let attempt = 1; !frame; attempt++) {
          await runCommand(page, 'SKD: Open Dashboard');
          const picked = await answerQuickPick(page, { match: 'long-skd', timeout: 15_000 });
          ctx.log(`  dashboard pick (try ${attempt}): ${picked ? picked.map((r) => r.slice(0, 60)).join(' / ') : 'no quick pick opened'}`);
          try {
            frame = await webviewFrame(page, 'canvas#chart-loss', 20_000);
          } catch (err) {
            if (attempt === 3) throw err;
            await dismissQuickInput(page);
          }
        }
        await waitFor(async () => Number(await frame.locator('#chart-tet').getAttribute('data-points')) > 0, { timeout: 15_000, what: 'the long run\'s dashboard charts' });
        const size = page.viewportSize() ?? { width: 1440, height: 900 };
        await page.setViewportSize({ width: size.width, height: 1500 });
        await page.mouse.move(Math.round(size.width * 0.8), 12);
        await sleep(1200);
        await ctx.shot('dashboard-long');
        await page.setViewportSize(size);
        await sleep(500);
      }
      await page.mouse.move(700, 880);
      const bottom = await experimentsPane(page).evaluate((pane) => {
        const rows = [...pane.querySelectorAll('.monaco-list-row')];
        return Math.max(...rows.map((r) => r.getBoundingClientRect().bottom), 0);
      });
      const sidebar = await page.locator('.part.sidebar').boundingBox();
      if (sidebar) {
        const clip = { x: sidebar.x, y: sidebar.y, width: sidebar.width, height: Math.min(sidebar.height, Math.max(160, bottom - sidebar.y + 24)) };
        await page.screenshot({ path: path.join(ctx.artifacts, 'tree.png'), clip });
      } else {
        await ctx.shot('tree', page.locator('.part.sidebar'));
      }
      await ctx.shot('workbench');
    },
  },
  {
    name: 'a reloaded window restores the dashboard from the run directory',
    needs: ['the dashboard charts hold data points'],
    timeout: 60_000,
    async fn(ctx) {
      const { page } = ctx;
      await reloadWindow(page);
      const tab = page.locator('.tabs-container .tab', { hasText: /SKD: tiny-skd/ }).first();
      await tab.waitFor({ state: 'visible', timeout: 20_000 }).catch(() => {
        throw new Error('after a reload there is no "SKD: tiny-skd" editor tab (the dashboard panel was not restored)');
      });
      await tab.click();
      const frame = await webviewFrame(page, 'canvas#chart-loss', 30_000);
      const points = await waitFor(
        async () => {
          const n = Number(await frame.locator('#chart-loss').getAttribute('data-points'));
          return n > 0 ? n : null;
        },
        { timeout: 20_000, what: 'the restored dashboard to show data points on #chart-loss' },
      );
      ctx.log(`  restored dashboard: chart-loss has ${points} data points`);
    },
  },
];
