// The gpu.js parity hook of the browser tests (test/browser/cases.ts's runParity calls window.cnncDemo.runCase):
// it runs a generated gpu.js module, /models/<name>.js, on inputs the test sends, and returns its outputs and
// gradients for the test to compare with the TypeScript target in Node. Float32Arrays travel as base64.

/**
 * Parity hook for the browser test (gpu.js): a fresh model of /models/<name>.js from `seed`, its forward
 * output on x, then (a second fresh model, so both start from the seed's state) its loss and every gradient
 * (running statistics for buffers). Float32Arrays travel as base64.
 */
export async function runCase({ name, seed, mode, x, y, n, backend }) {
  const mod = await import(`/models/${name}.js`);
  const xs = fromBase64(x);
  const ys = Int32Array.from(y);
  const fresh = () => {
    const m = mod.createModel({ seed, backend });
    if (mode === 'train') m.train();
    else m.eval();
    return m;
  };
  const a = fresh();
  const forwardOut = toBase64(await a.forwardAsync(xs, n));
  a.dispose();
  const b = fresh();
  const loss = await b.computeGradientsAsync(xs, ys, n);
  await b.downloadAsync();
  const tensors = b.parameters().map((p) => ({ name: p.name, trainable: p.trainable, values: toBase64(p.trainable ? p.grad : p.data) }));
  const info = b.backendInfo();
  b.dispose();
  return { forward: forwardOut, loss, tensors, info };
}

function toBase64(f32) {
  const bytes = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64) {
  const s = atob(b64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
