// @ts-check
// The harness for SKD Lab's end-to-end tests: a real VS Code (code-server from npm) started
// detached in a sandbox, and Debian Chromium driven by playwright-core. Everything a run
// creates lives under test/e2e/.work/<stamp>/ (git-ignored); logs and screenshots go to
// test-artifacts/e2e/.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(E2E_DIR, '..', '..');
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'e2e');
const CODE_SERVER_ENTRY = path.join(E2E_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.SKD_E2E_CHROMIUM || '/usr/bin/chromium';

/** @returns {string | null} why the harness cannot run, or null when it can. */
export function missingHarness() {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) return 'code-server is not installed in test/e2e';
  if (!fs.existsSync(path.join(E2E_DIR, 'node_modules', 'playwright-core', 'package.json'))) {
    return 'playwright-core is not installed in test/e2e';
  }
  const rg = path.join(E2E_DIR, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
  if (!fs.existsSync(rg)) return "code-server's ripgrep is missing";
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing`;
  return null;
}

/** playwright-core from test/e2e/node_modules (not the root's), loaded lazily. */
export function playwright() {
  const require = createRequire(path.join(E2E_DIR, 'package.json'));
  return require('playwright-core');
}

/** @typedef {ReturnType<typeof makeSandbox>} Sandbox */

/** A fresh sandbox directory tree for one run. */
export function makeSandbox(name = 'run') {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const root = path.join(E2E_DIR, '.work', `${name}-${stamp}`);
  const dirs = {
    root,
    home: path.join(root, 'home'),
    xdgConfig: path.join(root, 'xdg', 'config'),
    xdgData: path.join(root, 'xdg', 'data'),
    xdgCache: path.join(root, 'xdg', 'cache'),
    xdgState: path.join(root, 'xdg', 'state'),
    tmp: path.join(root, 'tmp'),
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    browser: path.join(root, 'browser'),
    workspace: path.join(root, 'workspace'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  // Quiet, predictable user settings for a test workbench.
  const userSettings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'git.autoRepositoryDetection': false,
    'npm.autoDetect': 'off',
    'typescript.tsc.autoDetect': 'off',
    'files.watcherExclude': { '**/runs/**': false },
    'window.restoreWindows': 'none',
    'editor.minimap.enabled': false,
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
  };
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(userSettings, null, 2));
  return dirs;
}

/**
 * Copies a fixture folder (recursively) into the sandbox workspace.
 * @param {string} fixtureDir
 * @param {string} dest
 */
export function copyFixture(fixtureDir, dest) {
  fs.cpSync(fixtureDir, dest, { recursive: true });
}

/**
 * The environment code-server (and the extension host it starts) runs with.
 * @param {Sandbox} sb
 */
function serverEnv(sb) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.PORT; // PORT overrides bind-addr in code-server
  delete env.VSCODE_IPC_HOOK_CLI;
  delete env.VSCODE_PID;
  delete env.ELECTRON_RUN_AS_NODE;
  Object.assign(env, {
    HOME: sb.home,
    XDG_CONFIG_HOME: sb.xdgConfig,
    XDG_DATA_HOME: sb.xdgData,
    XDG_CACHE_HOME: sb.xdgCache,
    XDG_STATE_HOME: sb.xdgState,
    TMPDIR: sb.tmp,
    EXTENSIONS_GALLERY: '{}',
    CS_DISABLE_FILE_DOWNLOADS: '0',
  });
  return env;
}

const COMMON_FLAGS = ['--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--ignore-last-opened'];

/**
 * Runs the code-server command line synchronously (e.g. --install-extension) in the sandbox.
 * @param {Sandbox} sb
 * @param {string[]} args
 */
export function codeServerCli(sb, args, timeoutMs = 120_000) {
  const r = spawnSync(process.execPath, [CODE_SERVER_ENTRY, '--user-data-dir', sb.userData, '--extensions-dir', sb.extensions, ...args], {
    env: serverEnv(sb),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Starts code-server detached (own process group) and resolves once it listens.
 * @param {Sandbox} sb
 * @param {{ logFile: string, timeoutMs?: number }} opts
 */
export async function startCodeServer(sb, opts) {
  const config = path.join(sb.root, 'code-server.yaml');
  fs.writeFileSync(config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = fs.createWriteStream(opts.logFile);
  const args = [
    CODE_SERVER_ENTRY,
    '--config', config,
    '--user-data-dir', sb.userData,
    '--extensions-dir', sb.extensions,
    ...COMMON_FLAGS,
    sb.workspace,
  ];
  const child = spawn(process.execPath, args, {
    cwd: sb.root,
    env: serverEnv(sb),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('code-server did not start');
  const server = {
    pid,
    port: 0,
    url: '',
    /** Kills the whole process group (server, extension host, trainer, run workers). */
    stop: () => killGroup(pid),
  };
  liveGroups.add(pid);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not listen within ${opts.timeoutMs ?? 30000} ms (log: ${opts.logFile})`)), opts.timeoutMs ?? 30000);
    let buf = '';
    const onData = (/** @type {Buffer} */ d) => {
      log.write(d);
      buf += d.toString();
      const m = /HTTP server listening on https?:\/\/[^:\s]+:(\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
      if (buf.length > 100_000) buf = buf.slice(-10_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited early (code ${code}, signal ${signal}); log: ${opts.logFile}`));
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', () => log.end());
  server.port = port;
  server.url = `http://127.0.0.1:${port}/`;
  return server;
}

/** Process groups started by this harness that are still to be killed. @type {Set<number>} */
const liveGroups = new Set();

/**
 * Kills a process group: SIGTERM, then SIGKILL for whatever is left. Synchronous.
 * @param {number} pgid
 */
export function killGroup(pgid) {
  if (!liveGroups.has(pgid)) return;
  liveGroups.delete(pgid);
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    spawnSync('sleep', ['0.1']);
  }
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** Kills every group still alive (on exit, signals and fatal errors). */
export function killAll() {
  for (const pgid of [...liveGroups]) killGroup(pgid);
}

/**
 * The workbench URL for a folder, loading the extension from `extensionDevelopmentPath`.
 * @param {{ port: number, url: string }} server
 * @param {{ folder: string, extensionDevelopmentPath?: string, extensionTestsPath?: string }} o
 */
export function workbenchUrl(server, o) {
  const remote = (/** @type {string} */ p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  /** @type {[string, string][]} */
  const payload = [];
  if (o.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(o.extensionDevelopmentPath)]);
  if (o.extensionTestsPath) payload.push(['extensionTestsPath', remote(o.extensionTestsPath)]);
  let url = `${server.url}?folder=${encodeURIComponent(o.folder)}`;
  if (payload.length) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

/**
 * Debian Chromium through playwright-core, in a fresh profile.
 * @param {Sandbox} sb
 */
export async function launchBrowser(sb, viewport = { width: 1440, height: 900 }) {
  const { chromium } = playwright();
  const context = await chromium.launchPersistentContext(sb.browser, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return context;
}

/**
 * Copies the server's logs (extension host, output channels) next to the screenshots.
 * @param {Sandbox} sb
 * @param {string} destDir
 */
export function collectLogs(sb, destDir) {
  const logs = path.join(sb.userData, 'logs');
  if (!fs.existsSync(logs)) return;
  try {
    fs.cpSync(logs, path.join(destDir, 'vscode-logs'), { recursive: true });
  } catch {
    /* best effort */
  }
}
