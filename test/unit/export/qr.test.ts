import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { qrColor, terminalQr } from '../../../src/trainer/export/qr';

test('terminalQr draws the URL as a compact block-character QR code', async () => {
  const url = 'http://192.168.1.20:8080/';
  const qr = await terminalQr(url);
  const lines = qr.split('\n').filter((l) => l.length > 0);
  // small: two modules a character row: a 25-module code and its border in about 14 rows.
  assert.ok(lines.length >= 11 && lines.length <= 25, qr);
  assert.match(qr, /[▀▄█]/);
  assert.match(qr, /\u001b\[/, 'colored by default');
  assert.notEqual(await terminalQr('http://127.0.0.1:1/other'), qr);
});

test('terminalQr without color has no escape sequences; color only on a terminal without NO_COLOR', async () => {
  const plain = await terminalQr('http://10.0.0.2:8080/', false);
  assert.doesNotMatch(plain, /\u001b/);
  assert.match(plain, /^[▀▄█ \n]+$/);
  const pipe = new PassThrough();
  assert.equal(qrColor(pipe, {}), false);
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  assert.equal(qrColor(tty, {}), true);
  assert.equal(qrColor(tty, { NO_COLOR: '1' }), false);
});
