// @ts-check
// SKD Lab as users install it: packed with @vscode/vsce, installed with
// `code-server --install-extension`, then a fresh workbench (no development path) must show the
// SKD Lab view and run the tiny experiment with the trainer shipped inside the .vsix.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  ARTIFACTS,
  E2E_DIR,
  REPO_ROOT,
  codeServerCli,
  collectLogs,
  copyFixture,
  launchBrowser,
  makeSandbox,
  startCodeServer,
  workbenchUrl,
} from '../lib/harness.mjs';
import { answerQuickPick, openFile, runCommand, showSkdSidebar, skdActivityItem, treeRows, waitFor, waitForWorkbench } from '../lib/ui.mjs';
import { DONE, RUNNING, waitForRunRow } from './user.mjs';

/** @param {(msg: string) => void} log */
export async function vsixTest(log) {
  const sb = makeSandbox('vsix');
  copyFixture(path.join(E2E_DIR, 'fixtures', 'workspace'), sb.workspace);
  const out = path.join(ARTIFACTS, 'vsix');
  fs.mkdirSync(out, { recursive: true });

  // 1. Pack (production bundle, as a release would be).
  let t = Date.now();
  const vsix = path.join(sb.root, 'skd-lab.vsix');
  const vsce = path.join(E2E_DIR, 'node_modules', '@vscode', 'vsce', 'vsce');
  const args = ['package', '--out', vsix, '--skip-license', '--allow-missing-repository', '--allow-star-activation', '--no-rewrite-relative-links'];
  if (!fs.existsSync(path.join(REPO_ROOT, '.vscodeignore'))) {
    // Without one, vsce would pack test/e2e/node_modules (code-server) too.
    log('  vsix: note: no .vscodeignore at the repository root; using test/e2e/fixtures/vsix.vscodeignore');
    args.push('--ignoreFile', path.join(E2E_DIR, 'fixtures', 'vsix.vscodeignore'));
  }
  const pack = spawnSync(process.execPath, [vsce, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
  });
  fs.writeFileSync(path.join(out, 'vsce.log'), `${pack.stdout}\n${pack.stderr}`);
  if (pack.status !== 0 || !fs.existsSync(vsix)) {
    throw new Error(`vsce package failed (exit ${pack.status}): ${(pack.stderr || pack.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  log(`  vsix: packed ${(fs.statSync(vsix).size / 1048576).toFixed(1)} MB in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // 2. Install into the sandbox's extensions folder.
  t = Date.now();
  const inst = codeServerCli(sb, ['--install-extension', vsix]);
  fs.writeFileSync(path.join(out, 'install.log'), `${inst.stdout}\n${inst.stderr}`);
  if (inst.status !== 0 || !/successfully installed/i.test(inst.stdout + inst.stderr)) {
    throw new Error(`--install-extension failed (exit ${inst.status}): ${(inst.stderr || inst.stdout).trim().split('\n').slice(-2).join(' | ')}`);
  }
  log(`  vsix: installed in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  // 3. A workbench without a development path: the installed extension must work on its own.
  const server = await startCodeServer(sb, { logFile: path.join(out, 'code-server.log') });
  let context;
  try {
    context = await launchBrowser(sb);
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(workbenchUrl(server, { folder: sb.workspace }));
    await waitForWorkbench(page);
    await skdActivityItem(page).waitFor({ state: 'visible', timeout: 30_000 });
    await showSkdSidebar(page);
    await waitFor(async () => (await treeRows(page)).some((r) => r.label.includes('tiny')), {
      timeout: 30_000,
      what: 'the installed extension to list tiny.skd.json in the Experiments tree',
    });
    await openFile(page, 'tiny.skd.json');
    await runCommand(page, 'SKD: Run Experiment');
    await answerQuickPick(page, { match: 'tiny', timeout: 2000 });
    const ctx = { page, workspace: sb.workspace, artifacts: out, log: () => {}, shot: async () => '' };
    const seen = new Set();
    await waitForRunRow(ctx, 'tiny', RUNNING, 60_000, seen);
    await waitForRunRow(ctx, 'tiny', DONE, 150_000, seen);
    await page.screenshot({ path: path.join(out, 'installed.png') });
  } catch (e) {
    await context?.pages()[0]?.screenshot({ path: path.join(out, 'failure.png') }).catch(() => {});
    throw e;
  } finally {
    await context?.close().catch(() => {});
    server.stop();
    collectLogs(sb, out);
  }
  fs.rmSync(sb.root, { recursive: true, force: true });
}
