/**
 * Finds and loads the optional native tf.js backends (`@tensorflow/tfjs-node`, `-node-gpu`).
 * They are never bundled (esbuild.mjs keeps them external) and usually not beside SKD Lab, so
 * the folder named by SKD_TFJS_NODE_PATH is searched first: it holds them the way
 * `npm install --prefix <folder>` lays them out, in `<folder>/node_modules/`. Node's own
 * resolution (SKD Lab's node_modules, NODE_PATH) comes second.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { NATIVE_PACKAGES, type NativePackage, TFJS_NODE_PATH_ENV } from '../../protocol/nativeBackend';

/** The package is nowhere to be found (as opposed to found but failing to load). */
export class NativePackageMissing extends Error {
  constructor(
    readonly pkg: NativePackage,
    readonly folder: string | undefined,
  ) {
    super(`${pkg} is not installed${folder ? ` in ${path.join(folder, 'node_modules')} (${TFJS_NODE_PATH_ENV})` : ''}`);
    this.name = 'NativePackageMissing';
  }
}

/** The folder SKD_TFJS_NODE_PATH names, absolute; undefined when unset or blank. */
export function nativeFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[TFJS_NODE_PATH_ENV]?.trim();
  return value ? path.resolve(value) : undefined;
}

/**
 * The package's folder under `folder`: `<folder>/node_modules/<pkg>`, or `<folder>/<pkg>` when
 * `folder` is itself a node_modules folder (a user may well point at that one).
 */
export function findNativePackage(pkg: NativePackage, folder: string): string | undefined {
  const parts = pkg.split('/');
  const candidates = [path.join(folder, 'node_modules', ...parts)];
  if (path.basename(folder) === 'node_modules') candidates.push(path.join(folder, ...parts));
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'package.json')));
}

/** Node's resolution from SKD Lab's own files; a bundle's `require` where there is one. */
function resolveByNode(pkg: NativePackage): { module: unknown } | undefined {
  const req = typeof require === 'function' ? require : createRequire(path.join(process.cwd(), 'noop.js'));
  try {
    req.resolve(pkg);
  } catch {
    return undefined;
  }
  return { module: req(pkg) as unknown };
}

/**
 * Loads `pkg` (which registers tf.js's 'tensorflow' backend) and says where from. Throws
 * NativePackageMissing when it is in neither place; a package that is there but fails to load
 * (no CUDA for -gpu, a broken install) throws its own error.
 */
export function loadNativePackage(pkg: NativePackage, env: NodeJS.ProcessEnv = process.env): { module: unknown; from: string } {
  const folder = nativeFolder(env);
  const dir = folder ? findNativePackage(pkg, folder) : undefined;
  if (dir) return { module: createRequire(path.join(dir, 'package.json'))(dir) as unknown, from: dir };
  const found = resolveByNode(pkg);
  if (found) return { module: found.module, from: 'node_modules' };
  throw new NativePackageMissing(pkg, folder);
}

/** One line on how to get `pkg`, for the messages of a backend that is not installed. */
export function installHint(pkg: NativePackage): string {
  const which = pkg === NATIVE_PACKAGES.gpu ? 'GPU' : 'CPU';
  return (
    `install it with "SKD: Install Native Backend (tfjs-node)" (${which}) in VS Code, or run ` +
    `"npm install --prefix <folder> ${pkg}" and set ${TFJS_NODE_PATH_ENV}=<folder>; the "wasm" backend needs no install`
  );
}
