import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.join(__dirname, '../../..');

test('bundles: the extension (vscode external) and the webview (browser IIFE, no eval) build', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-bundle-'));
  try {
    await esbuild.build({
      entryPoints: [path.join(root, 'src/extension/extension.ts')],
      outfile: path.join(out, 'extension.js'),
      bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'silent',
    });
    await esbuild.build({
      entryPoints: [path.join(root, 'webview/main.ts')],
      outfile: path.join(out, 'webview.js'),
      bundle: true, platform: 'browser', target: 'es2022', format: 'iife', logLevel: 'silent',
    });
    const ext = fs.readFileSync(path.join(out, 'extension.js'), 'utf8');
    assert.match(ext, /require\("vscode"\)/);
    assert.match(ext, /exports.*activate|activate: \(\) => activate/);
    const web = fs.readFileSync(path.join(out, 'webview.js'), 'utf8');
    assert.ok(web.startsWith('"use strict";\n(() => {') || web.startsWith('(() => {'), 'an IIFE');
    assert.doesNotMatch(web, /\beval\(|new Function\(/, 'nothing a CSP without unsafe-eval would block');
    assert.doesNotMatch(web, /fetch\(\s*["'`]https?:/, 'no network fetches');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
