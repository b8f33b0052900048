// The draw pad: pointer events (mouse, pen, touch) draw white strokes on black, as MNIST's digits are, and
// toMnist turns the drawing into the 28×28 input MNIST's preparation gives: the ink's bounding box scaled
// (aspect kept) into a 20×20 box, then placed so that its centre of mass is the image's centre (LeCun et al.,
// "The MNIST database": "centered in a 28x28 image by computing the center of mass of the pixels").

/** Draws on `canvas` with the pointer; onChange() after each stroke segment and on clear(). Returns { clear }. */
export function attachPad(canvas, onChange) {
  const ctx = canvas.getContext('2d');
  const width = canvas.width / 12; // a pen about as thick, relative to the digit, as MNIST's strokes
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    onChange();
  };
  let last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  canvas.style.touchAction = 'none'; // a finger draws instead of scrolling the page
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    segment(last, last);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (last === null) return;
    const p = at(e);
    segment(last, p);
    last = p;
  });
  const up = () => {
    last = null;
  };
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);
  function segment([x0, y0], [x1, y1]) {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = width;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1 + 0.01, y1); // a zero-length line draws no cap
    ctx.stroke();
    onChange();
  }
  clear();
  return { clear };
}

/** The drawing as a [1, 28, 28] Float32Array in [0, 1] (ink = 1), or null when nothing is drawn. */
export function toMnist(canvas) {
  const { width: W, height: H } = canvas;
  const src = canvas.getContext('2d').getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (src[(y * W + x) * 4] > 0) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = 20 / Math.max(bw, bh);
  const dw = Math.max(1, Math.round(bw * s)), dh = Math.max(1, Math.round(bh * s));
  const box = new OffscreenCanvas(dw, dh).getContext('2d', { willReadFrequently: true });
  box.imageSmoothingQuality = 'high';
  box.drawImage(canvas, x0, y0, bw, bh, 0, 0, dw, dh); // the area-averaged downsample keeps MNIST's grey edges
  const small = box.getImageData(0, 0, dw, dh).data;
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      const v = small[(y * dw + x) * 4] / 255;
      mass += v; mx += v * x; my += v * y;
    }
  }
  if (mass === 0) return null;
  // The offset that puts the centre of mass (pixel centres: +0.5) at 14, 14, kept inside the image.
  const ox = Math.min(28 - dw, Math.max(0, Math.round(14 - (mx / mass + 0.5))));
  const oy = Math.min(28 - dh, Math.max(0, Math.round(14 - (my / mass + 0.5))));
  const out = new Float32Array(28 * 28);
  for (let y = 0; y < dh; y++) for (let x = 0; x < dw; x++) out[(y + oy) * 28 + x + ox] = small[(y * dw + x) * 4] / 255;
  return out;
}
