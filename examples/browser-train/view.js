// What the page draws besides the chart: the pad's prediction, the model's input and the test digits.
import { PIXELS } from '/digits.mjs';

const $ = (id) => document.getElementById(id);

/** The pad's guess and a bar per class; p: { pred, probs } or null. */
export function showPrediction(p) {
  const bars = $('probs');
  bars.replaceChildren();
  $('guess').textContent = p === null ? 'draw a digit' : `${p.pred} (${(100 * p.probs[p.pred]).toFixed(1)}%)`;
  for (let c = 0; c < 10; c++) {
    const row = document.createElement('div');
    row.className = `bar${p !== null && c === p.pred ? ' best' : ''}`;
    const q = p === null ? 0 : p.probs[c];
    row.innerHTML = `<span>${c}</span><i style="width:${(100 * q).toFixed(1)}%"></i><b>${(100 * q).toFixed(1)}%</b>`;
    bars.append(row);
  }
}

/** The model's 28×28 input (null: empty). */
export function showPreview(x) {
  const ctx = $('preview').getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < PIXELS; i++) {
    const v = Math.round((x?.[i] ?? 0) * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/** Test digits with their predictions: { label, pred, p, pixels } each. */
export function showDigits(predictions) {
  const figs = predictions.map(({ label, pred, p, pixels }) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 28;
    canvas.className = 'digit';
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(28, 28);
    for (let i = 0; i < PIXELS; i++) {
      const v = 255 - Math.round(pixels[i] * 255); // dark ink on white
      img.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
    const fig = document.createElement('figure');
    const cap = document.createElement('figcaption');
    cap.className = pred === label ? 'ok' : 'bad';
    cap.textContent = `pred ${pred} (${Math.round(100 * p)}%) · true ${label}`;
    fig.append(canvas, cap);
    return fig;
  });
  $('digits').replaceChildren(...figs);
}
