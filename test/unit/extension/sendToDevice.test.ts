import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { exportFormatOf, newestExport, sendSource, targetsFor } from '../../../src/extension/export/deviceCli';
import { isLoopbackHost, isWildcardHost, lanAddresses, urlHost } from '../../../src/trainer/export/lanAddress';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skd-send-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function exportFolder(run: string, name: string, file: string, mtime: number): string {
  const dir = path.join(run, 'exports', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), '{}');
  fs.writeFileSync(path.join(dir, 'model-card.json'), '{}');
  for (const f of fs.readdirSync(dir)) fs.utimesSync(path.join(dir, f), mtime, mtime);
  return dir;
}

describe('send to device: from a run or from an export', () => {
  const run = path.join(tmp, 'tiny-skd-20250101-000000');
  fs.mkdirSync(run, { recursive: true });

  it('a run without exports: a run source with no export (the command offers to export first)', () => {
    assert.deepEqual(sendSource(run), { kind: 'run', runDir: run, exportDir: undefined });
  });

  it("a run's newest export is sent, whatever its name", () => {
    const older = exportFolder(run, 'tfjs-none', 'model.json', 1_700_000_000);
    const newer = exportFolder(run, 'onnx-uint8', 'student.onnx', 1_700_000_100);
    assert.equal(newestExport(run), newer);
    assert.deepEqual(sendSource(run), { kind: 'run', runDir: run, exportDir: newer });
    fs.utimesSync(path.join(older, 'model.json'), 1_700_000_200, 1_700_000_200);
    assert.equal(newestExport(run), older);
  });

  it('an export folder is sent as it is, and its format decides the targets', () => {
    const onnx = path.join(run, 'exports', 'onnx-uint8');
    const tfjs = path.join(run, 'exports', 'tfjs-none');
    assert.deepEqual(sendSource(onnx), { kind: 'export', exportDir: onnx });
    assert.equal(exportFormatOf(onnx), 'onnx');
    assert.equal(exportFormatOf(tfjs), 'tfjs');
    assert.equal(exportFormatOf(run), undefined);
    assert.ok(!targetsFor('onnx').includes('serve'), 'the phone page runs tf.js only: no serving for ONNX');
    assert.deepEqual(targetsFor('tfjs'), ['copy', 'adb', 'serve']);
  });
});

describe('the LAN address shown for a served student', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    docker0: [{ address: '172.17.0.1', family: 'IPv4', internal: false }],
    wlan0: [
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '192.168.1.23', family: 'IPv4', internal: false },
    ],
    tun0: [{ address: '100.64.0.7', family: 'IPv4', internal: false }],
  } as unknown as ReturnType<typeof os.networkInterfaces>;

  it('lists external IPv4 addresses, private ranges first, never loopback', () => {
    const got = lanAddresses(interfaces);
    assert.deepEqual(got.slice(0, 2).sort(), ['172.17.0.1', '192.168.1.23']);
    assert.equal(got[2], '100.64.0.7');
    assert.ok(!got.includes('127.0.0.1'));
  });

  it('a wildcard bind shows the LAN address, never 0.0.0.0; other hosts show as they are', () => {
    assert.ok(isWildcardHost('0.0.0.0') && isWildcardHost('::'));
    assert.match(urlHost('0.0.0.0', interfaces), /^(172\.17\.0\.1|192\.168\.1\.23)$/);
    assert.equal(urlHost('::', { lo: interfaces.lo }), '127.0.0.1');
    assert.equal(urlHost('10.0.0.5', interfaces), '10.0.0.5');
    assert.equal(urlHost('fd00::5', interfaces), '[fd00::5]');
    assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('localhost') && !isLoopbackHost('192.168.1.23'));
  });

  it('the served URL of a wildcard bind is this machine\'s LAN address and it answers there', async () => {
    const { serveStudent } = await import('../../../src/trainer/export/device');
    const dir = path.join(tmp, 'served');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'model-card.json'), '{}');
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ weightsManifest: [] }));
    const served = await serveStudent(dir, { host: '0.0.0.0' });
    try {
      const url = new URL(served.url);
      assert.notEqual(url.hostname, '0.0.0.0');
      assert.equal(url.hostname, lanAddresses()[0] ?? '127.0.0.1');
      const status = await new Promise<number>((resolve, reject) => http.get(served.url, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
      assert.equal(status, 200);
    } finally {
      await served.close();
    }
  });
});
