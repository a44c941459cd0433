/**
 * The page `serveStudent` serves: pick images, run the student with tf.js in the browser, see
 * the top-1 label. It preprocesses exactly as the model card says: resize to the input size,
 * (pixel / 255 - mean) / std per channel, NHWC; a one-channel model reads the mean of R, G, B
 * (equal for grey images). Scripts and styles are separate files so the CSP needs no inline code.
 */

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SKD Lab student</title>
<link rel="stylesheet" href="app.css">
</head>
<body>
<h1>SKD Lab student</h1>
<p id="status">Loading the model...</p>
<label>Images: <input id="files" type="file" accept="image/*" multiple disabled></label>
<ol id="results"></ol>
<script src="lib/tf-core.min.js"></script>
<script src="lib/tf-backend-cpu.min.js"></script>
<script src="lib/tf-layers.min.js"></script>
<script src="app.js"></script>
</body>
</html>
`;

export const PAGE_CSS = `body { font-family: system-ui, sans-serif; margin: 1rem; }
#results li { margin: .5rem 0; display: flex; align-items: center; gap: .75rem; }
#results img { width: 48px; height: 48px; image-rendering: pixelated; border: 1px solid #ccc; }
.label { font-weight: bold; }
`;

export const PAGE_JS = `'use strict';
(async () => {
  const status = document.getElementById('status');
  const input = document.getElementById('files');
  const results = document.getElementById('results');
  try {
    await tf.setBackend('cpu');
    const meta = (await (await fetch('model/model.json')).json()).userDefinedMetadata;
    const model = await tf.loadLayersModel('model/model.json');
    const [h, w, c] = meta.inputShape;
    status.textContent = 'Model ready (' + meta.family + ', ' + h + 'x' + w + 'x' + c + ', ' + meta.labels.length + ' classes). Pick images.';
    status.dataset.ready = 'true';
    input.disabled = false;

    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });

    function pixels(img) {
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(img, 0, 0, w, h);
      const rgba = ctx.getImageData(0, 0, w, h).data;
      const x = new Float32Array(h * w * c);
      for (let p = 0; p < h * w; p++) {
        for (let k = 0; k < c; k++) {
          const v = c === 1 ? (rgba[4 * p] + rgba[4 * p + 1] + rgba[4 * p + 2]) / 3 : rgba[4 * p + k];
          x[p * c + k] = (v / 255 - meta.mean[k]) / meta.std[k];
        }
      }
      return x;
    }

    async function classify(file) {
      const url = URL.createObjectURL(file);
      const img = new Image();
      img.src = url;
      await img.decode();
      const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(pixels(img), [1, h, w, c]))));
      const p = await probs.data();
      probs.dispose();
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
      const li = document.createElement('li');
      li.dataset.file = file.name;
      li.dataset.top1 = String(best);
      const thumb = document.createElement('img');
      thumb.src = url;
      thumb.alt = file.name;
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = meta.labels[best] ?? String(best);
      const prob = document.createElement('span');
      prob.textContent = (100 * p[best]).toFixed(1) + '% - ' + file.name;
      li.append(thumb, label, prob);
      results.append(li);
    }

    input.addEventListener('change', async () => {
      results.textContent = '';
      status.dataset.done = 'false';
      for (const file of input.files) await classify(file);
      status.dataset.done = 'true';
    });
  } catch (e) {
    status.textContent = 'Error: ' + (e && e.message ? e.message : String(e));
    status.dataset.error = 'true';
  }
})();
`;
