// Builds small IDX files in memory for the tests.
export function idxBytes(dims: number[], values: ArrayLike<number>, dtype = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header[2] = dtype;
  header[3] = dims.length;
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + values.length);
  out.set(header);
  out.set(Uint8Array.from(values), header.length);
  return out;
}

/** n images of rows×cols and their labels; pixel values encode (sample, position). */
export function idxPair(n: number, rows = 4, cols = 4, label = (i: number) => i % 10): { images: Uint8Array; labels: Uint8Array } {
  const px = Array.from({ length: n * rows * cols }, (_, k) => (k * 7) % 256);
  return { images: idxBytes([n, rows, cols], px), labels: idxBytes([n], Array.from({ length: n }, (_, i) => label(i))) };
}
