import { tapRanges, type DepthwiseLoopGeometry, type TapRange } from './convGeometry';

/**
 * The input gradient of a depthwise convolution as one direct loop over the wasm heap:
 *   dx[n, oh*s + i - padTop, ow*s + j - padLeft, c] += sum over k of dy[n, oh, ow, c*m + k] * w[i, j, c, k].
 * For each filter tap and block of channels, the tap's weights sit in locals and the loop runs
 * along whole output rows, adding into dx (zeroed first). At stride s > 1 this does only the
 * multiply-adds that reach dx; the forward-convolution form (depthwiseConv2dNativeBackpropInput.ts)
 * first spreads dy s apart with a 6-D pad and slice, which cost more than the convolution itself.
 */
export function depthwiseBackpropInputLoop(dys: Float32Array, ws: Float32Array, dx: Float32Array, g: DepthwiseLoopGeometry): void {
  dx.fill(0);
  for (const tap of tapRanges(g)) {
    if (g.m === 1) tapMultiplierOne(dys, ws, dx, g, tap);
    else tapAnyMultiplier(dys, ws, dx, g, tap);
  }
}

/** Multiplier 1: blocks of 8, then 4, then 1 channels, the tap's weights in locals. */
function tapMultiplierOne(dys: Float32Array, ws: Float32Array, dx: Float32Array, g: DepthwiseLoopGeometry, t: TapRange): void {
  const { n, inH, inW, outH, outW, sh, sw, top, left, c } = g;
  const { ohFrom, ohTo, owFrom, owTo } = t;
  const tap = (t.i * g.fw + t.j) * c;
  const rowShift = t.i - top;
  const colShift = owFrom * sw + t.j - left;
  const dxStep = sw * c;
  let ch = 0;
  for (; ch + 8 <= c; ch += 8) {
    const w0 = ws[tap + ch];
    const w1 = ws[tap + ch + 1];
    const w2 = ws[tap + ch + 2];
    const w3 = ws[tap + ch + 3];
    const w4 = ws[tap + ch + 4];
    const w5 = ws[tap + ch + 5];
    const w6 = ws[tap + ch + 6];
    const w7 = ws[tap + ch + 7];
    for (let b = 0; b < n; b++) {
      for (let oh = ohFrom; oh < ohTo; oh++) {
        let xa = ((b * inH + oh * sh + rowShift) * inW + colShift) * c + ch;
        let da = ((b * outH + oh) * outW + owFrom) * c + ch;
        for (let ow = owFrom; ow < owTo; ow++) {
          dx[xa] += dys[da] * w0;
          dx[xa + 1] += dys[da + 1] * w1;
          dx[xa + 2] += dys[da + 2] * w2;
          dx[xa + 3] += dys[da + 3] * w3;
          dx[xa + 4] += dys[da + 4] * w4;
          dx[xa + 5] += dys[da + 5] * w5;
          dx[xa + 6] += dys[da + 6] * w6;
          dx[xa + 7] += dys[da + 7] * w7;
          xa += dxStep;
          da += c;
        }
      }
    }
  }
  for (; ch + 4 <= c; ch += 4) {
    const w0 = ws[tap + ch];
    const w1 = ws[tap + ch + 1];
    const w2 = ws[tap + ch + 2];
    const w3 = ws[tap + ch + 3];
    for (let b = 0; b < n; b++) {
      for (let oh = ohFrom; oh < ohTo; oh++) {
        let xa = ((b * inH + oh * sh + rowShift) * inW + colShift) * c + ch;
        let da = ((b * outH + oh) * outW + owFrom) * c + ch;
        for (let ow = owFrom; ow < owTo; ow++) {
          dx[xa] += dys[da] * w0;
          dx[xa + 1] += dys[da + 1] * w1;
          dx[xa + 2] += dys[da + 2] * w2;
          dx[xa + 3] += dys[da + 3] * w3;
          xa += dxStep;
          da += c;
        }
      }
    }
  }
  for (; ch < c; ch++) {
    const w0 = ws[tap + ch];
    for (let b = 0; b < n; b++) {
      for (let oh = ohFrom; oh < ohTo; oh++) {
        let xa = ((b * inH + oh * sh + rowShift) * inW + colShift) * c + ch;
        let da = ((b * outH + oh) * outW + owFrom) * c + ch;
        for (let ow = owFrom; ow < owTo; ow++) {
          dx[xa] += dys[da] * w0;
          xa += dxStep;
          da += c;
        }
      }
    }
  }
}

/** Any multiplier m: each input channel gets the sum of its m products. */
function tapAnyMultiplier(dys: Float32Array, ws: Float32Array, dx: Float32Array, g: DepthwiseLoopGeometry, t: TapRange): void {
  const { n, inH, inW, outH, outW, sh, sw, top, left, c, m } = g;
  const { ohFrom, ohTo, owFrom, owTo } = t;
  const cm = c * m;
  const tap = (t.i * g.fw + t.j) * cm;
  const rowShift = t.i - top;
  const colShift = owFrom * sw + t.j - left;
  for (let b = 0; b < n; b++) {
    for (let oh = ohFrom; oh < ohTo; oh++) {
      let xa = ((b * inH + oh * sh + rowShift) * inW + colShift) * c;
      let da = ((b * outH + oh) * outW + owFrom) * cm;
      for (let ow = owFrom; ow < owTo; ow++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let k = 0; k < m; k++) s += dys[da + ch * m + k] * ws[tap + ch * m + k];
          dx[xa + ch] += s;
        }
        xa += sw * c;
        da += cm;
      }
    }
  }
}
