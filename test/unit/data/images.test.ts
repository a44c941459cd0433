import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { jpegComponents } from '../../../src/trainer/data/images';

test('jpegComponents reads the frame header: 3 for colour, 1 for grey, undefined without one', () => {
  const rgb = jpeg.encode({ data: Buffer.alloc(4 * 4 * 4, 128), width: 4, height: 4 }, 90).data;
  assert.equal(jpegComponents(rgb), 3);
  // SOI, an APP0 segment of 4 bytes, then a baseline SOF0 with one component.
  const grey = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0, 0xff, 0xc0, 0x00, 0x0b, 8, 0, 4, 0, 4, 1, 1, 0x11, 0]);
  assert.equal(jpegComponents(grey), 1);
  assert.equal(jpegComponents(Uint8Array.from([0xff, 0xd8, 0x00, 0x00])), undefined);
});
