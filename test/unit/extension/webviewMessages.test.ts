import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isMessageFromWebview, isMessageToWebview, isPanelState, MAX_LOG_MESSAGE } from '../../../src/protocol/webview';

test('webview messages: the contract messages are accepted', () => {
  for (const m of [
    { type: 'initialized' },
    { type: 'stopRun' },
    { type: 'resumeRun' },
    { type: 'exportStudent' },
    { type: 'openRun', index: 0 },
    { type: 'openRun', index: 12 },
    { type: 'log', level: 'warn', message: 'chart failed' },
  ]) {
    assert.equal(isMessageFromWebview(m), true, JSON.stringify(m));
  }
});

test('webview messages: anything else is rejected', () => {
  const bad: unknown[] = [
    undefined,
    null,
    42,
    'initialized',
    [],
    [{ type: 'initialized' }],
    {},
    { type: 7 },
    { type: 'rm -rf' },
    { type: 'runCommand', command: 'workbench.action.terminal.new' },
    // Paths never travel from a webview: extra keys are refused, not ignored.
    { type: 'stopRun', dir: '/etc' },
    { type: 'exportStudent', outDir: '/tmp/x' },
    { type: 'initialized', extra: true },
    { type: 'openRun' },
    { type: 'openRun', index: '1' },
    { type: 'openRun', index: -1 },
    { type: 'openRun', index: 1.5 },
    { type: 'openRun', index: Number.NaN },
    { type: 'openRun', index: 1e9 },
    { type: 'openRun', index: 0, dir: '/etc/passwd' },
    { type: 'log', level: 'debug', message: 'x' },
    { type: 'log', level: 'info' },
    { type: 'log', level: 'info', message: 5 },
    { type: 'log', level: 'info', message: 'x'.repeat(MAX_LOG_MESSAGE + 1) },
    { type: '__proto__' },
    JSON.parse('{"type":"initialized","__proto__":{"polluted":true}}'),
  ];
  for (const m of bad) assert.equal(isMessageFromWebview(m), false, JSON.stringify(m));
});

test('webview messages: host-to-webview guard', () => {
  assert.equal(isMessageToWebview({ type: 'dashboard/init', run: { dir: '/r', name: 'n', method: 'skd' }, events: [] }), true);
  assert.equal(isMessageToWebview({ type: 'dashboard/events', from: 3, events: [{ type: 'log', time: 't', level: 'info', message: 'm' }] }), true);
  assert.equal(isMessageToWebview({ type: 'dashboard/status', status: { state: 'running', updated: 'now' } }), true);
  assert.equal(isMessageToWebview({ type: 'compare/init', runs: [{ name: 'a', method: 'kd', state: 'done', curve: [] }], dirs: ['/runs/a'] }), true);
  // The page saves the run directories for a reload: one per run, each a path.
  assert.equal(isMessageToWebview({ type: 'compare/init', runs: [{ name: 'a', method: 'kd', state: 'done', curve: [] }] }), false);
  assert.equal(isMessageToWebview({ type: 'compare/init', runs: [{ name: 'a', method: 'kd', state: 'done', curve: [] }], dirs: [] }), false);
  assert.equal(isMessageToWebview({ type: 'compare/init', runs: [{ name: 'a', method: 'kd', state: 'done', curve: [] }], dirs: [''] }), false);
  assert.equal(isMessageToWebview({ type: 'dashboard/events', from: -1, events: [] }), false);
  assert.equal(isMessageToWebview({ type: 'dashboard/events', from: 0, events: [1] }), false);
  assert.equal(isMessageToWebview({ type: 'dashboard/init', run: {}, events: [] }), false);
  assert.equal(isMessageToWebview({ type: 'other' }), false);
});

test('panel state: shape only (the host also checks where it points)', () => {
  assert.equal(isPanelState({ view: 'dashboard', dir: '/w/runs/a-1' }), true);
  assert.equal(isPanelState({ view: 'compare', dirs: ['/w/runs/a', '/w/runs/b'] }), true);
  assert.equal(isPanelState({ view: 'dashboard', dir: '' }), false);
  assert.equal(isPanelState({ view: 'dashboard', dir: 'a\0b' }), false);
  assert.equal(isPanelState({ view: 'dashboard' }), false);
  assert.equal(isPanelState({ view: 'compare', dirs: [] }), false);
  assert.equal(isPanelState({ view: 'compare', dirs: ['/a', 3] }), false);
  assert.equal(isPanelState({ view: 'terminal', dir: '/a' }), false);
  assert.equal(isPanelState(null), false);
});
