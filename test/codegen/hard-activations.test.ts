// hardtanh, hardswish, hardsigmoid and silu over [-10, 10], the exact kink points included (±1 for hardtanh,
// ±3 for the other two hard ones): the every-activation cases feed them conv outputs that never land on a
// kink. A linear layer with weight I and bias 0 passes each point through exactly (0·x sums to 0), so the
// activation's input is the point itself; its output is compared with the value, and its derivative (the
// bias gradient divided by the loss gradient dY) with the derivative, of PyTorch 1.13. PyTorch is asked
// each point as a one-element tensor: its element-wise kernel, the formula as written (its vectorized CPU
// loop answers hardswish'(3) = 1 instead of 1.5, by the element's position in the tensor: see the rule).
// The kink values themselves are written here too, so that part runs without PyTorch.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile64 } from './helpers.js';

const KINDS = ['hardtanh', 'hardswish', 'hardsigmoid', 'silu'] as const;
type Kind = (typeof KINDS)[number];
const POINTS = [-10, -3.5, -3, -2.999, -1.5, -1, -0.999, -0.5, 0, 0.5, 0.999, 1, 1.5, 2.999, 3, 3.5, 10];
const K = POINTS.length;

/** f(x) and f'(x) at each point, cnnc's float64 TypeScript target. */
async function cnnc(kind: Kind): Promise<{ y: number[]; d: number[] }> {
  const mod = await compile64({ input: [1, 1, K], layers: ['flatten', `{ kind: linear, name: fc, out_features: ${K} }`, kind] });
  const model = mod.createModel({ seed: 1 });
  const [w, b] = model.parameters();
  w!.data.fill(0);
  for (let i = 0; i < K; i++) w!.data[i * K + i] = 1;
  b!.data.fill(0);
  const x = Float64Array.from(POINTS);
  model.eval();
  const y = Array.from(model.forward(x, 1));
  // cross_entropy on label 0 (n = 1): dY = softmax(y) - onehot(0), and the bias gradient is dY·f'(x).
  model.computeGradients(x, Int32Array.of(0), 1);
  const m = Math.max(...y);
  const e = y.map((v) => Math.exp(v - m));
  const z = e.reduce((a, v) => a + v, 0);
  const dY = e.map((v, i) => v / z - (i === 0 ? 1 : 0));
  return { y, d: Array.from(b!.grad, (g, i) => g / dY[i]!) };
}

/** The same from PyTorch (/usr/bin/python3), each point alone; null where torch cannot be imported. */
function torchValues(): Record<Kind, { y: number[]; d: number[] }> | null {
  const PY = '/usr/bin/python3';
  if (!existsSync(PY)) return null;
  const script = `
import json, sys, torch
points = json.loads(sys.argv[1])
mods = {'hardtanh': torch.nn.Hardtanh(), 'hardswish': torch.nn.Hardswish(), 'hardsigmoid': torch.nn.Hardsigmoid(), 'silu': torch.nn.SiLU()}
out = {}
for kind, m in mods.items():
    ys, ds = [], []
    for p in points:
        x = torch.tensor([p], dtype=torch.float64, requires_grad=True)
        y = m(x)
        y.backward(torch.ones_like(y))
        ys.append(y.item()); ds.append(x.grad.item())
    out[kind] = {'y': ys, 'd': ds}
print(json.dumps(out))
`;
  try {
    return JSON.parse(execFileSync(PY, ['-c', script, JSON.stringify(POINTS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Record<Kind, { y: number[]; d: number[] }>;
  } catch {
    return null;
  }
}

const torch = torchValues();
if (torch === null) console.warn('SKIP test/codegen/hard-activations.test.ts, PyTorch half: /usr/bin/python3 cannot import torch (Debian: apt install python3-torch)');

const at = (p: number): number => POINTS.indexOf(p);
/** Derivatives come through the division by dY: a few ulps off, except a 0, which is exact. */
function near(got: readonly (number | undefined)[], want: readonly number[]): void {
  got.forEach((g, i) => {
    const w = want[i]!;
    if (w === 0) expect(g, `entry ${i}`).toBe(0);
    else expect(Math.abs(g! - w), `entry ${i}: ${g}, want ${w}`).toBeLessThanOrEqual(1e-12 * Math.abs(w));
  });
}

describe('hardtanh, hardswish, hardsigmoid, silu at their kinks', () => {
  it("take PyTorch 1.13's one-sided choices at the kinks (strict bounds; hardswish's x ≤ 3)", async () => {
    const ht = await cnnc('hardtanh');
    expect([ht.y[at(-1)], ht.y[at(1)], ht.y[at(-10)], ht.y[at(10)]]).toEqual([-1, 1, -1, 1]);
    near([ht.d[at(-1)], ht.d[at(1)], ht.d[at(-0.999)], ht.d[at(0.999)]], [0, 0, 1, 1]);
    const hs = await cnnc('hardswish');
    expect([hs.y[at(-3)], hs.y[at(3)], hs.y[at(-10)], hs.y[at(10)]]).toEqual([-0, 3, -0, 10]); // x·0 is -0 for x < 0, as in PyTorch
    // hardswish_backward: 0 below -3, x/3 + 1/2 up to 3 inclusive, 1 above.
    near([hs.d[at(-3.5)], hs.d[at(-3)], hs.d[at(3)], hs.d[at(3.5)]], [0, -0.5, 1.5, 1]);
    const hg = await cnnc('hardsigmoid');
    expect([hg.y[at(-3)], hg.y[at(0)], hg.y[at(3)]]).toEqual([0, 0.5, 1]);
    // Strict at both kinks, and PyTorch's one_sixth is 1/6 rounded to float32 in every dtype.
    near([hg.d[at(-3)], hg.d[at(3)], hg.d[at(0)]], [0, 0, Math.fround(1 / 6)]);
  });

  describe.skipIf(torch === null).each(KINDS)('%s', (kind) => {
    it('forward and derivative at every point match PyTorch (each point a one-element tensor)', async () => {
      const ours = await cnnc(kind);
      const ref = torch![kind];
      const rows = POINTS.map((p, i) => ({ x: p, y: ours.y[i]!, yRef: ref.y[i]!, d: ours.d[i]!, dRef: ref.d[i]! }));
      // The forward is the same float64 operations as PyTorch's kernel: bit for bit for the hard ones; silu's
      // exp is the platform's. The derivative goes through the division by dY: a few ulps.
      for (const r of rows) {
        if (kind === 'silu') expect(Math.abs(r.y - r.yRef), `${kind}(${r.x}) = ${r.y}, PyTorch ${r.yRef}`).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(r.yRef)));
        else expect(r.y, `${kind}(${r.x}), the sign of a zero included`).toBe(r.yRef);
        expect(Math.abs(r.d - r.dRef), `${kind}'(${r.x}) = ${r.d}, PyTorch ${r.dRef}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(r.dRef)));
      }
    });
  });
});
