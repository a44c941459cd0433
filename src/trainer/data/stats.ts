/**
 * Per-channel mean and standard deviation of uint8 NHWC images, in [0,1] units. A histogram
 * per channel keeps the pass over the pixels to one increment each, whatever the size.
 */
export function channelStats(x: Uint8Array, channels: number): { mean: number[]; std: number[] } {
  const hist = new Float64Array(256 * channels);
  for (let i = 0, k = 0; i < x.length; i++) {
    hist[k * 256 + x[i]]++;
    if (++k === channels) k = 0;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let k = 0; k < channels; k++) {
    let n = 0;
    let s = 0;
    let s2 = 0;
    for (let v = 0; v < 256; v++) {
      const f = hist[k * 256 + v];
      n += f;
      s += f * v;
      s2 += f * v * v;
    }
    const m = n === 0 ? 0 : s / n;
    const variance = n === 0 ? 0 : Math.max(0, s2 / n - m * m);
    mean.push(m / 255);
    // A constant channel would divide by zero when normalising; 1 leaves it centred only.
    std.push(variance > 0 ? Math.sqrt(variance) / 255 : 1);
  }
  return { mean, std };
}
