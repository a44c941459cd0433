// Packs SKD Lab into a .vsix with the pinned @vscode/vsce and the marketplace README
// (media/marketplace/README.md, its screenshots inlined: packedReadme). By default one universal package, skd-lab-<version>.vsix: its only
// platform-specific need, checking ONNX exports, is met by onnxruntime-web's WebAssembly build,
// which runs everywhere. `--target <platform>` packs skd-lab-<platform>-<version>.vsix with
// onnxruntime-node's native library for that platform instead (25-86 MB more before compression;
// faster checks of large test sets).
// Usage: node scripts/package.mjs [--target <t>[,<t>...] | --target all] [--out <dir>]
//   Run `node esbuild.mjs --production` first (`npm run package` does both).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** vsce target -> onnxruntime-node's folder under bin/napi-v*\/ (the platforms it ships). */
export const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

/**
 * The ignore file of one platform's package: the repository's, plus onnxruntime-node's JavaScript
 * and its binaries for this target only (vsce lets a `!` pattern win over every exclusion, so the
 * binaries are let in file by file).
 */
export function ignoreFileFor(target, base = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8'), modules = path.join(root, 'node_modules')) {
  const keep = TARGETS[target];
  if (!keep) throw new Error(`unknown target "${target}" (known: ${Object.keys(TARGETS).join(', ')})`);
  const lines = [base.trimEnd(), '', `# scripts/package.mjs: onnxruntime-node for ${target} only.`];
  lines.push('!node_modules/onnxruntime-node/package.json', '!node_modules/onnxruntime-node/dist/*.js');
  const bin = path.join(modules, 'onnxruntime-node', 'bin');
  for (const napi of fs.existsSync(bin) ? fs.readdirSync(bin) : []) {
    const dir = path.join(bin, napi, ...keep.split('/'));
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) {
      // macOS: the binding loads @rpath/libonnxruntime.1.dylib; the versioned name is a second copy.
      if (/^libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.test(f)) continue;
      lines.push(`!node_modules/onnxruntime-node/bin/${napi}/${keep}/${f}`);
    }
  }
  return lines.join('\n') + '\n';
}

export const MARKETPLACE_README = 'media/marketplace/README.md';
/** Where the README as packed is written (inside the root: vsce takes its README from the tree). */
export const PACKED_README = '.tmp/package/README.md';
const IMAGE_TYPES = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif' };

/**
 * The marketplace README as packed: each image it links (relative to itself, e.g. the screenshots
 * in docs/images/) inlined as a data: URI. VS Code shows an installed extension's README under
 * `img-src https: data:` with no base address, so a path to an image inside the package never
 * loads there (checked in code-server 1.100), and vsce would otherwise point relative links at
 * the repository's web address, which needs the network.
 */
export function packedReadme(file = path.join(root, MARKETPLACE_README)) {
  const text = fs.readFileSync(file, 'utf8');
  return text.replace(/(!\[[^\]]*\]\()([^)\s]+)(\))/g, (all, open, link, close) => {
    if (/^[a-z][\w+.-]*:/i.test(link)) return all;
    const image = path.resolve(path.dirname(file), link);
    const type = IMAGE_TYPES[path.extname(image).toLowerCase()];
    if (!type) throw new Error(`${path.relative(root, file)}: image ${link}: not a PNG, JPEG or GIF`);
    if (!fs.existsSync(image)) throw new Error(`${path.relative(root, file)}: image ${link}: no such file`);
    return `${open}data:${type};base64,${fs.readFileSync(image).toString('base64')}${close}`;
  });
}

/** vsce's README options: the packed README, its links left as they are (data: URIs). */
export function vsceReadmeArgs(readme = PACKED_README) {
  return ['--readme-path', readme, '--no-rewrite-relative-links'];
}

function vscePackage(vsce, args) {
  const packed = path.join(root, PACKED_README);
  fs.mkdirSync(path.dirname(packed), { recursive: true });
  fs.writeFileSync(packed, packedReadme());
  try {
    return spawnSync(process.execPath, [vsce, 'package', ...vsceReadmeArgs(), ...args], { cwd: root, stdio: 'inherit' }).status ?? 1;
  } finally {
    fs.rmSync(path.dirname(packed), { recursive: true, force: true });
  }
}

function main(argv) {
  const at = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const asked = at('--target');
  const targets = !asked ? [] : asked === 'all' ? Object.keys(TARGETS) : asked.split(',');
  const outDir = path.resolve(at('--out') ?? root);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  if (!fs.existsSync(vsce)) throw new Error('@vscode/vsce is not installed: run "npm ci" (or npm install) first');
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) throw new Error('dist/ is missing: run "node esbuild.mjs --production" first');
  fs.mkdirSync(outDir, { recursive: true });
  const report = (out) => console.log(`${path.relative(process.cwd(), out) || out}: ${(fs.statSync(out).size / 1048576).toFixed(1)} MB`);
  if (targets.length === 0) {
    const out = path.join(outDir, `${pkg.name}-${pkg.version}.vsix`);
    const status = vscePackage(vsce, ['--out', out]);
    if (status === 0) report(out);
    return status;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-package-'));
  try {
    for (const target of targets) {
      const ignore = path.join(tmp, `${target}.vscodeignore`);
      fs.writeFileSync(ignore, ignoreFileFor(target));
      const out = path.join(outDir, `${pkg.name}-${target}-${pkg.version}.vsix`);
      const status = vscePackage(vsce, ['--target', target, '--ignoreFile', ignore, '--out', out]);
      if (status !== 0) return status;
      report(out);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`package: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
