import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAllowedRunDir, isInside } from '../../../src/extension/util/paths';
import { PluginRegistry } from '../../../src/extension/plugins/pluginRegistry';
import { freeFileName, instantiateTemplate, TEMPLATES } from '../../../src/extension/templates/templates';
import { deviceArgs, findUrl } from '../../../src/extension/export/deviceCli';

test('paths: restored state must point into the runs folder or the workspace', () => {
  const roots = ['/w/runs', '/w'];
  assert.equal(isAllowedRunDir('/w/runs/a-1', roots), true);
  assert.equal(isAllowedRunDir('/w/sub/runs/b', roots), true);
  assert.equal(isAllowedRunDir('/etc', roots), false);
  assert.equal(isAllowedRunDir('/w/../etc', roots), false);
  assert.equal(isAllowedRunDir('/wx/runs', roots), false);
  assert.equal(isAllowedRunDir('runs/a', roots), false, 'relative paths are refused');
  assert.equal(isAllowedRunDir('/w/a\0b', roots), false);
  assert.equal(isAllowedRunDir('/w/a', [undefined]), false);
  assert.equal(isInside('/a/b', '/a'), true);
  assert.equal(isInside('/a', '/a/b'), false);
});

test('plugins: registration, validation, disposal', () => {
  const reg = new PluginRegistry();
  let changes = 0;
  reg.onDidChange(() => changes++);
  const d1 = reg.register('method', '/ext/methods/mine.js');
  reg.register('model', '/ext/models/net.js');
  const d3 = reg.register('method', '/ext/methods/mine.js');
  assert.deepEqual(reg.modules(), ['/ext/methods/mine.js', '/ext/models/net.js']);
  d1.dispose();
  assert.deepEqual(reg.modules().sort(), ['/ext/methods/mine.js', '/ext/models/net.js'], 'still registered once more');
  d3.dispose();
  d3.dispose();
  assert.deepEqual(reg.modules(), ['/ext/models/net.js']);
  assert.equal(changes, 5);
  assert.throws(() => reg.register('shell', '/x.js'), /kind/);
  assert.throws(() => reg.register('method', 'relative.js'), /absolute/);
  assert.throws(() => reg.register('method', 42), /absolute/);
});

test('templates: each is valid JSON with a name; instantiation names the run after the file', () => {
  const dir = path.join(__dirname, '../../../examples/templates');
  for (const t of TEMPLATES) {
    const text = fs.readFileSync(path.join(dir, t.file), 'utf8');
    const out = JSON.parse(instantiateTemplate(text, 'my experiment!')) as { name: string; $schema?: string; method: { name: string } };
    assert.equal(out.name, 'my-experiment-');
    assert.equal(out.$schema, undefined);
    assert.ok(out.method.name);
  }
  const taken = new Set(['skd-default.skd.json', 'skd-default-2.skd.json']);
  assert.equal(freeFileName('skd-default', (n) => taken.has(n)), 'skd-default-3.skd.json');
});

test('device: command lines for copy, adb and serve', () => {
  assert.deepEqual(deviceArgs('/e/dist/cli.js', '/r/exports/tfjs', { kind: 'copy', folder: '/media/phone' }), ['/e/dist/cli.js', 'device', '/r/exports/tfjs', '--copy', '/media/phone']);
  assert.deepEqual(deviceArgs('c', 'x', { kind: 'adb' }), ['c', 'device', 'x', '--adb']);
  assert.deepEqual(deviceArgs('c', 'x', { kind: 'serve', host: '127.0.0.1' }), ['c', 'device', 'x', '--serve', '--host', '127.0.0.1']);
  assert.equal(findUrl('Serving at http://127.0.0.1:40123/ (Ctrl+C to stop)'), 'http://127.0.0.1:40123/');
  assert.equal(findUrl('nothing'), undefined);
});
