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

  // 1. Pack exactly as the README says (`npm run package`: the production bundle, then
  // scripts/package.mjs with the pinned @vscode/vsce: one universal package), into the sandbox.
  let t = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const pack = spawnSync(npm, ['run', 'package', '--', '--out', sb.root], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
  });
  fs.writeFileSync(path.join(out, 'vsce.log'), `${pack.stdout}\n${pack.stderr}`);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const vsix = path.join(sb.root, `${pkg.name}-${pkg.version}.vsix`);
  if (pack.status !== 0 || !fs.existsSync(vsix)) {
    throw new Error(`npm run package failed (exit ${pack.status}): ${(pack.stderr || pack.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  if (/WARNING|ERROR/.test(pack.stdout + pack.stderr)) log(`  vsix: vsce said: ${(pack.stdout + pack.stderr).split('\n').filter((l) => /WARNING|ERROR/.test(l)).join(' | ')}`);
  const listing = spawnSync('unzip', ['-Z1', vsix], { encoding: 'utf8' });
  const files = listing.status === 0 ? listing.stdout.trim().split('\n') : [];
  const mb = fs.statSync(vsix).size / 1048576;
  log(`  vsix: packed ${mb.toFixed(1)} MB, ${files.length} files, in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  if (files.length > 0) {
    if (mb >= 15) throw new Error(`the .vsix is ${mb.toFixed(1)} MB (target: under 15 MB)`);
    for (const need of ['extension/LICENSE.txt', 'extension/media/icon.png', 'extension/dist/tfjs-backend-wasm-simd.wasm', 'extension/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm']) {
      if (!files.some((f) => f.toLowerCase() === need.toLowerCase())) throw new Error(`the .vsix lacks ${need}`);
    }
    const readme = files.find((f) => /^extension\/readme\.md$/i.test(f));
    const readmeText = readme ? spawnSync('unzip', ['-p', vsix, readme], { encoding: 'utf8' }).stdout : '';
    if (!/## Commands/.test(readmeText) || /npm test|setup-e2e/.test(readmeText)) throw new Error('the .vsix does not carry the marketplace README (media/marketplace/README.md)');
    const stray = files.filter((f) => /^extension\/(src|test|webview|scripts|docs|bench)\//.test(f) || /\.(map|ts)$/.test(f));
    if (stray.length > 0) throw new Error(`the .vsix carries development files: ${stray.slice(0, 5).join(', ')}`);
    const native = files.filter((f) => /onnxruntime-node\//.test(f));
    if (native.length > 0) throw new Error(`the universal .vsix carries onnxruntime-node: ${native[0]}`);
  }

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
