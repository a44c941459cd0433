// @ts-check
// A distillation method that another extension brings through SKD Lab's `registerPlugin` API
// (fixtures/plugin-extension, installed in the sandbox's extensions folder): before it is
// registered an experiment using it has an error; once registered, the error goes, completion
// offers the method and the experiment runs to done.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { E2E_DIR, REPO_ROOT } from '../lib/harness.mjs';
import { answerQuickPick, openFile, problemsRows, runCommand, sleep, waitFor } from '../lib/ui.mjs';
import { runDirs, runState } from './user.mjs';

/**
 * Installs the fixture extension, with the method plugin beside it, into an extensions folder
 * before code-server starts. (The workbench URL's payload keeps one extension development
 * path, so a second extension cannot come that way; a fresh extensions folder without
 * extensions.json is scanned at start.) It stays inert until its command runs.
 * @param {string} extensionsDir
 */
export function installPluginExtension(extensionsDir) {
  const target = path.join(extensionsDir, 'skd-lab-test.skd-lab-test-plugin-0.0.1');
  fs.mkdirSync(target, { recursive: true });
  const from = path.join(E2E_DIR, 'fixtures', 'plugin-extension');
  for (const f of ['package.json', 'extension.js']) fs.copyFileSync(path.join(from, f), path.join(target, f));
  fs.copyFileSync(path.join(REPO_ROOT, 'test', 'unit', 'server', 'fixtures', 'kdHalfPlugin.js'), path.join(target, 'kdHalfPlugin.js'));
}

const FILE = 'kd-half.skd.json';
const EXPERIMENT = `{
  "name": "kd-half-run",
  "seed": 1,
  "data": { "format": "builtin", "name": "fashion-mnist-mini", "limit": { "train": 200, "test": 100 } },
  "teacher": { "model": "cnn", "width": 4, "epochs": 1 },
  "student": { "model": "cnn", "width": 4, "epochs": 1 },
  "method": { "name": "kd-half", "stages": 1 },
  "training": { "batchSize": 32 },
  "studentAlone": false
}
`;
const UNKNOWN = /unknown method "kd-half"/;

/** @param {import('playwright-core').Page} page */
async function suggestions(page) {
  return page.locator('.suggest-widget.visible .monaco-list-row').evaluateAll((rows) => rows.map((r) => (r.getAttribute('aria-label') || r.textContent || '').trim()));
}

/** @type {import('./user.mjs').Test[]} */
export const tests = [
  {
    name: 'a method registered through registerPlugin: no diagnostic, offered in completion, runs to done',
    needs: ['SKD Lab activates (activity bar, palette, Experiments tree)'],
    timeout: 180_000,
    async fn(ctx) {
      const { page } = ctx;
      fs.writeFileSync(path.join(ctx.workspace, FILE), EXPERIMENT);
      await openFile(page, FILE);
      await page.keyboard.press('Control+Shift+M'); // Problems panel
      await waitFor(async () => ((await problemsRows(page)).some((r) => UNKNOWN.test(r)) ? true : null), {
        timeout: 30_000,
        what: `the unknown-method problem of ${FILE} before the plugin is registered`,
      });

      await runCommand(page, 'SKD Lab Test: Register the kd-half Method Plugin');
      await waitFor(async () => (!(await problemsRows(page)).some((r) => UNKNOWN.test(r)) ? true : null), {
        timeout: 30_000,
        what: `the unknown-method problem of ${FILE} to go once the plugin is registered`,
      });
      await page.keyboard.press('Control+Shift+M');

      // The cursor just inside the quotes of the method's name, then completion.
      const lines = EXPERIMENT.split('\n');
      const line = lines.findIndex((l) => l.includes('"method"'));
      const column = lines[line].indexOf('"kd-half"') + 2;
      await page.locator('.editor-instance .monaco-editor .view-lines >> visible=true').first().click();
      await page.keyboard.press('Control+G');
      await page.locator('.quick-input-widget input').fill(`:${line + 1}:${column}`);
      await sleep(300);
      await page.keyboard.press('Enter');
      await sleep(300);
      const offered = await waitFor(
        async () => {
          await page.keyboard.press('Control+Space');
          const rows = await suggestions(page).catch(() => []);
          return rows.some((r) => r.includes('kd-half')) ? rows : null;
        },
        { timeout: 20_000, interval: 1000, what: 'completion to offer kd-half' },
      );
      ctx.log(`  completion: ${offered.slice(0, 12).join(' | ')}`);
      await page.keyboard.press('Escape');

      await runCommand(page, 'SKD: Run Experiment');
      await answerQuickPick(page, { match: 'kd-half', timeout: 2000 });
      const done = await waitFor(
        async () => {
          const dirs = runDirs(ctx.workspace, 'kd-half-run');
          const last = dirs[dirs.length - 1];
          const st = last ? runState(last) : { state: '' };
          if (st.state === 'failed') throw new Error(`the run failed: ${st.error}`);
          return st.state === 'done' ? last : null;
        },
        { timeout: 150_000, interval: 1000, what: 'the kd-half run to be done' },
      );
      ctx.log(`  run: ${path.basename(done)}`);
    },
  },
];
