import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { version_core } from '@tensorflow/tfjs-core';
import { version } from '../../../package.json';
import type { MetricEvent } from '../../../src/protocol/runDir';
import { priorActiveSeconds } from '../../../src/trainer/engine/activeTime';
import { collectProvenance, gitCommit, PROVENANCE_FILE, provenanceCell, readProvenance, recordProvenance } from '../../../src/trainer/engine/provenance';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-prov-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('provenance: versions, backend and host; no git commit outside a work tree', () => {
  const outside = fs.mkdtempSync(path.join(tmp, 'plain-'));
  const p = collectProvenance(path.join(outside, 'x.skd.json'), 'cpu (2 threads)');
  assert.equal(p.skdLab, version);
  assert.equal(p.node, process.version);
  assert.equal(p.tfjs, version_core);
  assert.equal(p.backend, 'cpu (2 threads)');
  assert.equal(p.host, os.hostname());
  // tmp is not inside a git work tree (unless the system's tmp is; then a commit is fine).
  if (gitCommit(outside) === undefined) assert.equal(p.gitCommit, undefined);
  assert.equal(provenanceCell(p).startsWith(`${version} node`), true);
  assert.equal(provenanceCell(undefined), '-');
});

test('provenance: the commit of a git work tree holding the experiment file', (t) => {
  const repo = fs.mkdtempSync(path.join(tmp, 'repo-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe', encoding: 'utf8' });
  try {
    git('init', '-q');
    fs.writeFileSync(path.join(repo, 'a.skd.json'), '{}');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x');
  } catch {
    t.skip('git is not available');
    return;
  }
  const head = git('rev-parse', 'HEAD').trim();
  fs.mkdirSync(path.join(repo, 'sub'));
  const p = collectProvenance(path.join(repo, 'sub', 'b.skd.json'), 'wasm');
  assert.equal(p.gitCommit, head);
  assert.equal(p.gitDirty, false);
  fs.writeFileSync(path.join(repo, 'a.skd.json'), '{"x":1}');
  assert.equal(collectProvenance(path.join(repo, 'a.skd.json'), 'wasm').gitDirty, true);
  assert.match(provenanceCell(collectProvenance(path.join(repo, 'a.skd.json'), 'wasm')), new RegExp(`${head.slice(0, 7)}\\*$`));
});

test('recordProvenance writes provenance.json; a resume adds an entry; a missing folder does not throw', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'run-'));
  const a = collectProvenance(path.join(dir, 'e.json'), 'cpu');
  recordProvenance(dir, a, false);
  assert.deepEqual(readProvenance(dir), a);
  const b = { ...a, backend: 'wasm' };
  recordProvenance(dir, b, true);
  const both = readProvenance(dir)!;
  assert.equal(both.backend, 'cpu');
  assert.deepEqual(both.resumes, [b]);
  assert.ok(fs.existsSync(path.join(dir, PROVENANCE_FILE)));
  assert.doesNotThrow(() => recordProvenance(path.join(dir, 'gone', 'deeper'), a, false));
});

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const ev = (type: 'run' | 'phase', s: number) => ({ type, time: at(s) }) as unknown as MetricEvent;

test('priorActiveSeconds sums each session\'s active time, not the pause between a stop and the resume', () => {
  // Session 1: 0..100 s, stopped (status written at 105); resumed at 1000, ran to 1030; now resuming again.
  const events = [ev('run', 0), ev('phase', 50), ev('phase', 100), ev('run', 1000), ev('phase', 1030)];
  assert.equal(priorActiveSeconds(events.slice(0, 3), { updated: at(105) }), 105);
  assert.equal(priorActiveSeconds(events, { updated: at(1040) }), 100 + 40);
  assert.equal(priorActiveSeconds(events), 130);
  // A status older than the newest session's last event does not shorten it.
  assert.equal(priorActiveSeconds(events, { updated: at(500) }), 130);
  assert.equal(priorActiveSeconds([]), 0);
});
