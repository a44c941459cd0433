import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { InputError } from '../errors';
import { MODEL_JSON, type ModelJson } from '../models/modelIO';
import { CARD_JSON } from './card';
import { urlHost } from './lanAddress';
import { findOnPath } from '../util/findOnPath';
import { CSP, PAGE_CSS, PAGE_HTML, PAGE_JS } from './servePage';

/**
 * Getting an export onto a device: copy it to a folder (a mounted board or phone), push it
 * with adb (an Android device), or serve it to a phone's browser with a page that runs it.
 */

/** The files of an export folder (what `exportRun` wrote); fails on a folder that is not one. */
export function exportFiles(exportDir: string): string[] {
  if (!fs.existsSync(path.join(exportDir, CARD_JSON))) {
    throw new InputError(exportDir, undefined, `not an export folder (no ${CARD_JSON}); make one with "skd export <run dir> --format tfjs|onnx"`);
  }
  return fs.readdirSync(exportDir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
}

/** Copies the export into `<destDir>/<export folder name>/`; returns that folder. */
export function copyExport(exportDir: string, destDir: string): string {
  const files = exportFiles(exportDir);
  if (!fs.existsSync(destDir) || !fs.statSync(destDir).isDirectory()) throw new InputError(destDir, undefined, 'no such folder (is the device mounted?)');
  const target = path.join(destDir, path.basename(path.resolve(exportDir)));
  fs.mkdirSync(target, { recursive: true });
  for (const f of files) fs.copyFileSync(path.join(exportDir, f), path.join(target, f));
  return target;
}

/** The adb executable on PATH, if any. */
export function findAdb(envPath = process.env.PATH ?? ''): string | undefined {
  return findOnPath('adb', envPath);
}

export const DEFAULT_ADB_PATH = '/sdcard/Download/skd-student';

export class AdbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdbError';
  }
}

/** `adb push` of the export's files into `remote` on the connected Android device. */
export async function adbPush(exportDir: string, remote = DEFAULT_ADB_PATH, envPath?: string): Promise<{ remote: string; output: string }> {
  const files = exportFiles(exportDir);
  const adb = findAdb(envPath);
  if (!adb) throw new AdbError('adb is not on PATH: install Android platform-tools (or add them to PATH), or copy the export with --copy');
  const args = ['push', ...files.map((f) => path.join(exportDir, f)), remote.endsWith('/') ? remote : `${remote}/`];
  await runAdb(adb, ['shell', 'mkdir', '-p', remote]);
  const output = await runAdb(adb, args);
  return { remote, output };
}

function runAdb(adb: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(adb, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => reject(new AdbError(`adb could not start: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new AdbError(`adb ${args[0]} failed (exit ${code}): ${out.trim() || 'no output'}`))));
  });
}

export interface ServeOptions {
  /** Loopback unless the user chose another address. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface ServedStudent {
  url: string;
  close(): Promise<void>;
}

/** The tf.js bundles the page loads, from this installation's node_modules. */
const LIBRARIES: Record<string, string> = {
  'tf-core.min.js': '@tensorflow/tfjs-core/dist/tf-core.min.js',
  'tf-backend-cpu.min.js': '@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
  'tf-layers.min.js': '@tensorflow/tfjs-layers/dist/tf-layers.min.js',
};

/**
 * Serves a tf.js export with a page that runs it on images the user picks. Only the page,
 * the three tf.js bundles and the export's model files are reachable.
 */
export async function serveStudent(exportDir: string, opts: ServeOptions = {}): Promise<ServedStudent> {
  const files = exportFiles(exportDir);
  if (!files.includes(MODEL_JSON)) throw new InputError(exportDir, undefined, 'the page runs tf.js exports; export with --format tfjs to serve it');
  const json = JSON.parse(fs.readFileSync(path.join(exportDir, MODEL_JSON), 'utf8')) as ModelJson;
  const modelFiles = new Set([MODEL_JSON, ...json.weightsManifest.flatMap((g) => g.paths)]);
  const routes = new Map<string, () => { type: string; body: Buffer | string }>([
    ['/', () => ({ type: 'text/html; charset=utf-8', body: PAGE_HTML })],
    ['/app.js', () => ({ type: 'text/javascript; charset=utf-8', body: PAGE_JS })],
    ['/app.css', () => ({ type: 'text/css; charset=utf-8', body: PAGE_CSS })],
    // Browsers ask for it unprompted; an empty icon keeps their consoles free of 404s.
    ['/favicon.ico', () => ({ type: 'image/x-icon', body: '' })],
  ]);
  for (const [name, mod] of Object.entries(LIBRARIES)) {
    const file = require.resolve(mod);
    routes.set(`/lib/${name}`, () => ({ type: 'text/javascript; charset=utf-8', body: fs.readFileSync(file) }));
  }
  for (const f of modelFiles) {
    routes.set(`/model/${f}`, () => ({ type: f.endsWith('.json') ? 'application/json' : 'application/octet-stream', body: fs.readFileSync(path.join(exportDir, f)) }));
  }

  const server = http.createServer((req, res) => {
    const headers = {
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    const route = req.method === 'GET' || req.method === 'HEAD' ? routes.get(new URL(req.url ?? '/', 'http://localhost').pathname) : undefined;
    if (!route) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    try {
      const { type, body } = route();
      res.writeHead(200, { ...headers, 'Content-Type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(500, { ...headers, 'Content-Type': 'text/plain' }).end(e instanceof Error ? e.message : String(e));
    }
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    // Bound to every interface, it is reached through the LAN address, never `0.0.0.0`.
    url: `http://${urlHost(host)}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A browser keeps its connections open; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}
