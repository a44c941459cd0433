import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { InputError } from '../errors';

/** A decoded image: `channels` interleaved bytes per pixel (1 grey or 3 RGB; alpha dropped). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/**
 * The number of colour components in a JPEG's frame header (SOFn), which jpeg-js does not
 * report: 1 means greyscale. Undefined when no frame header is found.
 */
export function jpegComponents(b: Uint8Array): number | undefined {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const length = (b[i + 2] << 8) | b[i + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return i + 9 < b.length ? b[i + 9] : undefined;
    i += 2 + length;
  }
  return undefined;
}

/** RGBA bytes to 1 or 3 channels; grey takes the red byte (R = G = B for grey sources). */
function fromRgba(rgba: Uint8Array, pixels: number, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(pixels * channels);
  if (channels === 1) {
    for (let p = 0; p < pixels; p++) out[p] = rgba[4 * p];
  } else {
    for (let p = 0; p < pixels; p++) {
      out[3 * p] = rgba[4 * p];
      out[3 * p + 1] = rgba[4 * p + 1];
      out[3 * p + 2] = rgba[4 * p + 2];
    }
  }
  return out;
}

/** Decodes a PNG or JPEG (by content) in its own channel count; a corrupt image names its file. */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  try {
    if (isPng(bytes)) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      // Colour types 0 and 4 are grey (without and with alpha); pngjs expands all to RGBA.
      const colorType = (png as unknown as { colorType?: number }).colorType;
      const channels = colorType === 0 || colorType === 4 ? 1 : 3;
      return { width: png.width, height: png.height, channels, data: fromRgba(png.data, png.width * png.height, channels) };
    }
    if (isJpeg(bytes)) {
      const channels = jpegComponents(bytes) === 1 ? 1 : 3;
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false });
      return { width: img.width, height: img.height, channels, data: fromRgba(img.data, img.width * img.height, channels) };
    }
  } catch (e) {
    throw new InputError(file, undefined, `corrupt image (${(e as Error).message})`);
  }
  throw new InputError(file, undefined, 'not a PNG or JPEG image (unknown signature)');
}

/** The image in `channels` channels: grey to RGB repeats, RGB to grey uses BT.601 luma. */
export function convertChannels(img: DecodedImage, channels: 1 | 3): DecodedImage {
  if (img.channels === channels) return img;
  const pixels = img.width * img.height;
  const src = img.data;
  const out = new Uint8Array(pixels * channels);
  if (channels === 3) {
    for (let p = 0; p < pixels; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = src[p];
  } else {
    for (let p = 0; p < pixels; p++) {
      out[p] = Math.round(0.299 * src[3 * p] + 0.587 * src[3 * p + 1] + 0.114 * src[3 * p + 2]);
    }
  }
  return { ...img, channels, data: out };
}

/**
 * Bilinear resize (pixel centres aligned, edges clamped) of interleaved bytes, written into
 * `out` at `offset`; a same-size image is copied as is.
 */
export function resizeBilinear(img: DecodedImage, height: number, width: number, out: Uint8Array, offset: number): void {
  const { width: sw, height: sh, channels: c, data: src } = img;
  if (sw === width && sh === height) {
    out.set(src, offset);
    return;
  }
  const sy = sh / height;
  const sx = sw / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const o = offset + (y * width + x) * c;
      for (let k = 0; k < c; k++) {
        const top = src[(y0 * sw + x0) * c + k] * (1 - wx) + src[(y0 * sw + x1) * c + k] * wx;
        const bottom = src[(y1 * sw + x0) * c + k] * (1 - wx) + src[(y1 * sw + x1) * c + k] * wx;
        out[o + k] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
}
