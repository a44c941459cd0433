// @ts-check
// SKD Lab end-to-end tests inside a real VS Code (code-server) driven by Debian Chromium.
// Usage: node test/e2e/run.mjs [--only <substring>] [--keep] [--no-build] [--no-vsix | --vsix-only] [--docs-images]
//   --only   run only tests whose name contains the substring (and the steps they need)
//   --keep   keep the sandbox (test/e2e/.work/...) after a successful run
//   --no-vsix    skip the .vsix test (pack with vsce, --install-extension, run an experiment)
//   --vsix-only  only the .vsix test
//   --docs-images  copy the dashboard and tree screenshots to docs/images/ (for the README)
// Exit 0 when every test passes. Screenshots and logs: test-artifacts/e2e/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  ARTIFACTS,
  E2E_DIR,
  REPO_ROOT,
  collectLogs,
  copyFixture,
  killAll,
  launchBrowser,
  makeSandbox,
  missingHarness,
  startCodeServer,
  workbenchUrl,
} from './lib/harness.mjs';
import { waitForWorkbench } from './lib/ui.mjs';

const argv = process.argv.slice(2);
const flag = (/** @type {string} */ f) => argv.includes(f);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const TOTAL_BUDGET_MS = Number(process.env.SKD_E2E_BUDGET_MS ?? 9 * 60_000);

const missing = missingHarness();
if (missing) {
  console.error(`e2e: ${missing}; install the harness with (as root): bash scripts/setup-e2e.sh`);
  process.exit(1);
}

// Whatever happens, the code-server process group (extension host, trainer, runs) goes.
process.on('exit', killAll);
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(sig, () => {
    console.error(`e2e: ${sig}, stopping code-server`);
    killAll();
    process.exit(130);
  });
}
process.on('uncaughtException', (e) => {
  console.error('e2e: uncaught', e);
  killAll();
  process.exit(1);
});
const watchdog = setTimeout(() => {
  console.error(`e2e: the whole run exceeded ${TOTAL_BUDGET_MS / 1000} s, stopping`);
  killAll();
  process.exit(1);
}, TOTAL_BUDGET_MS);
watchdog.unref();

const t0 = Date.now();
const secs = (/** @type {number} */ from) => ((Date.now() - from) / 1000).toFixed(1);
const log = (/** @type {string} */ m) => console.log(m);

// 1. The extension bundle.
if (!flag('--no-build')) {
  const tb = Date.now();
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('e2e: node esbuild.mjs failed');
    process.exit(1);
  }
  log(`e2e: extension built in ${secs(tb)} s`);
}
if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) log('e2e: warning: dist/extension.js is missing (src/extension not written yet?)');

// 2. A sandbox with the example workspace.
fs.rmSync(ARTIFACTS, { recursive: true, force: true });
fs.mkdirSync(ARTIFACTS, { recursive: true });
pruneOldSandboxes();
const sb = makeSandbox('user');
copyFixture(path.join(E2E_DIR, 'fixtures', 'workspace'), sb.workspace);

const { tests: userTests } = await import('./tests/user.mjs');
const { tests: productTests } = await import('./tests/product.mjs');
const { tests: pluginTests, installPluginExtension } = await import('./tests/plugins.mjs');
const allTests = [...userTests, ...productTests, ...pluginTests];
const tests = flag('--vsix-only') ? [] : allTests;
/** @type {{ name: string, status: 'pass' | 'fail' | 'skip', ms: number, error?: string }[]} */
const results = [];
let context;
let server;
const NO_SESSION = new Error('no user tests selected');
try {
  if (tests.length === 0) throw NO_SESSION;
  let ts = Date.now();
  installPluginExtension(sb.extensions);
  server = await startCodeServer(sb, { logFile: path.join(ARTIFACTS, 'code-server.log') });
  log(`e2e: code-server listening on ${server.port} after ${secs(ts)} s`);

  ts = Date.now();
  context = await launchBrowser(sb);
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLog = fs.createWriteStream(path.join(ARTIFACTS, 'browser-console.log'));
  page.on('console', (/** @type {import('playwright-core').ConsoleMessage} */ m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (/** @type {Error} */ e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  await page.goto(workbenchUrl(server, { folder: sb.workspace, extensionDevelopmentPath: REPO_ROOT }));
  await waitForWorkbench(page);
  log(`e2e: workbench visible after ${secs(ts)} s`);

  const selected = selectTests(tests, only);
  let shotNo = 0;
  for (const t of tests) {
    if (!selected.has(t.name)) continue;
    const failedNeed = (t.needs ?? []).find((n) => results.find((r) => r.name === n)?.status !== 'pass');
    if (failedNeed) {
      results.push({ name: t.name, status: 'skip', ms: 0, error: `needs "${failedNeed}"` });
      log(`SKIP ${t.name} (needs "${failedNeed}")`);
      continue;
    }
    const tt = Date.now();
    const ctx = {
      page,
      workspace: sb.workspace,
      artifacts: ARTIFACTS,
      log,
      /** @param {string} name @param {import('playwright-core').Locator} [target] */
      async shot(name, target) {
        const file = path.join(ARTIFACTS, `${name}.png`);
        // Park the pointer on the empty title bar so no hover tooltip lands in the picture.
        const vp = page.viewportSize();
        if (vp) await page.mouse.move(Math.round(vp.width * 0.8), 12);
        if (target) await target.screenshot({ path: file, timeout: 10_000 });
        else await page.screenshot({ path: file, timeout: 10_000 });
        return file;
      },
    };
    try {
      await withTimeout(t.fn(ctx), t.timeout, t.name);
      results.push({ name: t.name, status: 'pass', ms: Date.now() - tt });
      log(`PASS ${t.name} (${secs(tt)} s)`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      results.push({ name: t.name, status: 'fail', ms: Date.now() - tt, error: msg });
      log(`FAIL ${t.name} (${secs(tt)} s)\n     ${msg.split('\n')[0]}`);
      await page.screenshot({ path: path.join(ARTIFACTS, `failure-${++shotNo}.png`) }).catch(() => {});
      await page.keyboard.press('Escape').catch(() => {});
    }
  }
} catch (e) {
  if (e !== NO_SESSION) results.push({ name: 'harness', status: 'fail', ms: 0, error: e instanceof Error ? e.message : String(e) });
  if (e !== NO_SESSION) log(`FAIL harness: ${e instanceof Error ? e.message : e}`);
} finally {
  await context?.close().catch(() => {});
  server?.stop();
  collectLogs(sb, ARTIFACTS);
}

// 3. The packaged extension (on by default; --no-vsix or SKD_E2E_VSIX=0 skips it).
if (flag('--vsix-only') || (!flag('--no-vsix') && process.env.SKD_E2E_VSIX !== '0' && !only)) {
  const { vsixTest } = await import('./tests/vsix.mjs');
  const tv = Date.now();
  const name = 'vsix: packed with vsce, installed with --install-extension, runs the tiny experiment';
  try {
    await vsixTest(log);
    results.push({ name, status: 'pass', ms: Date.now() - tv });
    log(`PASS ${name} (${secs(tv)} s)`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    results.push({ name, status: 'fail', ms: Date.now() - tv, error: msg });
    log(`FAIL ${name} (${secs(tv)} s)\n     ${msg}`);
  }
}

const failed = results.filter((r) => r.status !== 'pass');
log(`\ne2e: ${results.length - failed.length}/${results.length} passed in ${secs(t0)} s; artifacts in ${path.relative(REPO_ROOT, ARTIFACTS)}/`);
for (const f of failed) log(`  ${f.status.toUpperCase()} ${f.name}: ${f.error}`);
if (flag('--docs-images')) {
  const docs = path.join(REPO_ROOT, 'docs', 'images');
  fs.mkdirSync(docs, { recursive: true });
  for (const name of ['dashboard', 'tree', 'compare']) {
    let src = path.join(ARTIFACTS, `${name}.png`);
    if (name === 'dashboard' && fs.existsSync(path.join(ARTIFACTS, 'dashboard-long.png'))) src = path.join(ARTIFACTS, 'dashboard-long.png');
    const ok = results.some((r) => r.status === 'pass' && r.name.includes(name === 'tree' ? 'tree screenshot' : name === 'compare' ? 'comparison' : 'dashboard'));
    if (ok && fs.existsSync(src)) {
      fs.copyFileSync(src, path.join(docs, `${name}.png`));
      log(`e2e: copied ${name}.png to docs/images/`);
    }
  }
}
fs.writeFileSync(path.join(ARTIFACTS, 'results.json'), JSON.stringify({ seconds: (Date.now() - t0) / 1000, results }, null, 2));
if (failed.length === 0 && !flag('--keep')) fs.rmSync(sb.root, { recursive: true, force: true });
else log(`e2e: sandbox kept at ${path.relative(REPO_ROOT, sb.root)}`);
clearTimeout(watchdog);
process.exit(failed.length === 0 ? 0 : 1);

/**
 * @template T
 * @param {Promise<T>} p
 * @param {number} ms
 * @param {string} name
 */
function withTimeout(p, ms, name) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`test "${name}" exceeded ${ms / 1000} s`)), ms);
    }),
  ]);
}

/** Selected test names: those matching --only plus what they need, transitively. */
function selectTests(/** @type {{ name: string, needs?: string[] }[]} */ all, /** @type {string | undefined} */ filter) {
  const sel = new Set(all.filter((t) => !filter || t.name.includes(filter)).map((t) => t.name));
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of all) if (sel.has(t.name)) for (const n of t.needs ?? []) if (!sel.has(n)) (sel.add(n), (grew = true));
  }
  return sel;
}

/** Keeps the .work folder small: removes all but the two newest sandboxes. */
function pruneOldSandboxes() {
  const work = path.join(E2E_DIR, '.work');
  if (!fs.existsSync(work)) return;
  const entries = fs.readdirSync(work).map((n) => path.join(work, n)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  for (const old of entries.slice(2)) fs.rmSync(old, { recursive: true, force: true });
}
