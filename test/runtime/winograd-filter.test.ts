// The Winograd filter transform (U = G g Gᵀ) and filter gradient (dW += Gᵀ dU G) kernels in wasm
// (runtime/wasm/winograd-filter-kernel.ts), bit for bit against the JavaScript loops they replaced, kept
// here as the reference: float64 arithmetic in the same order, rounded once to float32. F(2×2) and F(4×4),
// the forward's and the flipped (backward-data) read of W, odd filter counts (the last pair's second lane
// reads past W and writes into U_e's spare room, and no further), odd cin in the gradient (the pair's second
// lane skipped at a row's end), dU rows padded past cin, values over many magnitudes with ±0, ±∞ and NaN.
import { describe, expect, test } from 'vitest';
import { allocFloats, gemmBackend } from 'cnnc/runtime';
import { filterGradientModule4, filterModule2, filterTransformModule4, G4 as G4_VALUES } from '../../runtime/wasm/winograd-filter-kernel.js';
import { sideModule } from '../../runtime/wasm/side.js';
import { residentAt, wasmSgemm } from '../../runtime/wasm/sgemm.js';
import { Rng } from 'cnnc/runtime';

/** U_e[co][ci] = (G g Gᵀ)[e] for every filter g = W(co, ci) of W [cout, cin, 3, 3] (flipped: g[2 − ki][2 − kj]),
 *  e = 4·row + column of the 4×4 result; U_e es floats apart. */
function filterTransform(mem: Float32Array, pU: number, es: number, W: Float32Array, cout: number, cin: number, flip: boolean): void {
  const r = flip ? -3 : 3, q = flip ? -1 : 1;
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      // g[ki][kj] at b + ki·r + kj·q: W[co][ci][ki][kj], or flipped W[co][ci][2 − ki][2 − kj].
      const b = (co * cin + ci) * 9 + (flip ? 8 : 0);
      const o = pU + co * cin + ci;
      for (let j = 0; j < 3; j++) {
        // Column j of G g.
        const g0 = W[b + j * q]!, g1 = W[b + r + j * q]!, g2 = W[b + 2 * r + j * q]!;
        tg[j] = g0;
        tg[3 + j] = (g0 + g1 + g2) * 0.5;
        tg[6 + j] = (g0 - g1 + g2) * 0.5;
        tg[9 + j] = g2;
      }
      for (let i = 0; i < 4; i++) {
        const a0 = tg[3 * i]!, a1 = tg[3 * i + 1]!, a2 = tg[3 * i + 2]!;
        mem[o + 4 * i * es] = a0;
        mem[o + (4 * i + 1) * es] = (a0 + a1 + a2) * 0.5;
        mem[o + (4 * i + 2) * es] = (a0 - a1 + a2) * 0.5;
        mem[o + (4 * i + 3) * es] = a2;
      }
    }
  }
}

/** G g, 4 × 3, in double: module-level, so the transform allocates nothing. */
const tg = new Float64Array(12);

/** dW[co][ci] += Gᵀ X G for X = dU_e[co][ci] (e = 4i + j; dU_e's rows ldu apart), in double, rounded once. */
function filterGradient(mem: Float32Array, pU: number, es: number, ldu: number, dW: Float32Array, cout: number, cin: number): void {
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      const o = pU + co * ldu + ci;
      // Gᵀ X, row by row of X's columns: (Gᵀ X)[k][j] with k = 0: X0 + ½X1 + ½X2, 1: ½X1 − ½X2, 2: ½X1 + ½X2 + X3.
      for (let j = 0; j < 4; j++) {
        const x0 = mem[o + j * es]!, x1 = mem[o + (4 + j) * es]!, x2 = mem[o + (8 + j) * es]!, x3 = mem[o + (12 + j) * es]!;
        tx[j] = x0 + 0.5 * (x1 + x2);
        tx[4 + j] = 0.5 * (x1 - x2);
        tx[8 + j] = 0.5 * (x1 + x2) + x3;
      }
      const b = (co * cin + ci) * 9;
      for (let kr = 0; kr < 3; kr++) {
        const y0 = tx[4 * kr]!, y1 = tx[4 * kr + 1]!, y2 = tx[4 * kr + 2]!, y3 = tx[4 * kr + 3]!;
        dW[b + 3 * kr] += y0 + 0.5 * (y1 + y2);
        dW[b + 3 * kr + 1] += 0.5 * (y1 - y2);
        dW[b + 3 * kr + 2] += 0.5 * (y1 + y2) + y3;
      }
    }
  }
}

/** Gᵀ X, 3 × 4, in double: module-level, so the transform allocates nothing. */
const tx = new Float64Array(12);

const G4 = Float64Array.from(G4_VALUES);

/** U_e[co][ci] = (G g Gᵀ)[e] for F(4×4), e = 6·row + column of the 6×6 result, in double and rounded once (W, flip
 *  and es as filterTransform's). */
function filterTransform4(mem: Float32Array, pU: number, es: number, W: Float32Array, cout: number, cin: number, flip: boolean): void {
  const r = flip ? -3 : 3, q = flip ? -1 : 1;
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      // g[ki][kj] at b + ki·r + kj·q, as filterTransform.
      const b = (co * cin + ci) * 9 + (flip ? 8 : 0);
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < 3; j++) tg4[3 * i + j] = G4[3 * i]! * W[b + j * q]! + G4[3 * i + 1]! * W[b + r + j * q]! + G4[3 * i + 2]! * W[b + 2 * r + j * q]!;
      }
      const o = pU + co * cin + ci;
      for (let i = 0; i < 6; i++) {
        const a0 = tg4[3 * i]!, a1 = tg4[3 * i + 1]!, a2 = tg4[3 * i + 2]!;
        for (let j = 0; j < 6; j++) mem[o + (6 * i + j) * es] = G4[3 * j]! * a0 + G4[3 * j + 1]! * a1 + G4[3 * j + 2]! * a2;
      }
    }
  }
}

/** G g (6 × 3) for F(4×4), in double: module-level, so the transform allocates nothing. */
const tg4 = new Float64Array(18);

/** dW[co][ci] += Gᵀ X G for F(4×4), X = dU_e[co][ci] (e = 6i + j; dU_e's rows ldu apart), in double, rounded once. */
function filterGradient4(mem: Float32Array, pU: number, es: number, ldu: number, dW: Float32Array, cout: number, cin: number): void {
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      const o = pU + co * ldu + ci;
      // (Gᵀ X)[k][j] = Σ_i G[i][k] X[i][j], 3 × 6.
      for (let j = 0; j < 6; j++) {
        let s0 = 0, s1 = 0, s2 = 0;
        for (let i = 0; i < 6; i++) {
          const x = mem[o + (6 * i + j) * es]!;
          s0 += G4[3 * i]! * x;
          s1 += G4[3 * i + 1]! * x;
          s2 += G4[3 * i + 2]! * x;
        }
        tx4[j] = s0; tx4[6 + j] = s1; tx4[12 + j] = s2;
      }
      const b = (co * cin + ci) * 9;
      for (let kr = 0; kr < 3; kr++) {
        for (let kc = 0; kc < 3; kc++) {
          let acc = 0;
          for (let j = 0; j < 6; j++) acc += tx4[6 * kr + j]! * G4[3 * j + kc]!;
          dW[b + 3 * kr + kc] += acc;
        }
      }
    }
  }
}

/** Gᵀ X (3 × 6) for F(4×4), in double: module-level, so the transform allocates nothing. */
const tx4 = new Float64Array(18);


type Transform = (pW: number, pU: number, es: number, count: number, first: number, rowStep: number, colStep: number) => void;
type Gradient = (pDU: number, es: number, ldu: number, pDW: number, cout: number, cin: number) => void;

function kernels(m: 2 | 4): { transform: Transform; gradient: Gradient } {
  const w = wasmSgemm()!;
  if (m === 2) {
    const k = sideModule<{ filterTransform2: Transform; filterGradient2: Gradient }>(w, 'winogradFilter2', filterModule2);
    return { transform: k.filterTransform2, gradient: k.filterGradient2 };
  }
  return {
    transform: sideModule<{ filterTransform4: Transform }>(w, 'winogradFilter4Transform', filterTransformModule4).filterTransform4,
    gradient: sideModule<{ filterGradient4: Gradient }>(w, 'winogradFilter4Gradient', filterGradientModule4).filterGradient4,
  };
}

/** Weights over many magnitudes, with a few zeros of both signs, infinities and NaNs. */
function values(rng: Rng, count: number): Float32Array {
  const a = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = rng.nextFloat();
    a[i] = u < 0.01 ? NaN : u < 0.02 ? -Infinity : u < 0.03 ? Infinity : u < 0.06 ? -0 : u < 0.09 ? 0 : rng.uniform(-1, 1) * 2 ** Math.floor(rng.uniform(-20, 20));
  }
  return a;
}

/** Float positions of a resident array's elements, for the kernels' byte addresses. */
function at(a: Float32Array): number {
  const r = residentAt(wasmSgemm()!, a);
  if (r < 0) throw new Error('not in wasm memory');
  return r;
}

const same = (got: Float32Array, want: Float32Array): number => Array.from(got).findIndex((v, i) => !Object.is(v, want[i]));

describe.runIf(gemmBackend() === 'wasm')('winograd filter kernels: the JavaScript loops\' bits', () => {
  const shapes: [number, number][] = [[3, 5], [4, 4], [1, 1], [7, 3], [16, 9]];
  describe.each([2, 4] as const)('F(m×m, 3×3), m = %i', (m) => {
    const E = (m + 2) * (m + 2);
    test.each(shapes.flatMap(([cout, cin]) => [[cout, cin, false], [cout, cin, true]] as [number, number, boolean][]))('transform of %i×%i filters (flipped: %s)', (cout, cin, flip) => {
      const rng = new Rng(cout * 31 + cin + (flip ? 7 : 0) + m);
      const count = cout * cin, es = count + 3; // U_e's room: one float past the last filter, then a guard
      const W = allocFloats(Float32Array, 9 * count + 9);
      W.set(values(rng, 9 * count));
      W.fill(NaN, 9 * count); // what the last pair's second lane reads past W: its output must stay in the room
      const U = allocFloats(Float32Array, E * es);
      U.fill(7);
      kernels(m).transform(4 * at(W), 4 * at(U), 4 * es, count, flip ? 32 : 0, flip ? -12 : 12, flip ? -4 : 4);
      const want = new Float32Array(E * es).fill(7);
      (m === 2 ? filterTransform : filterTransform4)(want, 0, es, W, cout, cin, flip);
      for (let e = 0; e < E; e++) {
        const got = U.subarray(e * es, e * es + count), exp = want.subarray(e * es, e * es + count);
        const i = same(got, exp);
        expect(i, `U_${e}[${i}] = ${got[i]}, the loop's ${exp[i]}`).toBe(-1);
        expect(U[e * es + count + 1], 'nothing written past the room of one float').toBe(7);
      }
    });

    test.each(shapes)('gradient of %i×%i filters into dW', (cout, cin) => {
      const rng = new Rng(cout * 17 + cin + m);
      const ldu = cin + 4 - (cin % 4) + 4, es = cout * ldu + 5;
      const dU = allocFloats(Float32Array, E * es);
      dU.set(values(rng, E * es).map((v) => (Number.isFinite(v) ? v : 1.5))); // the sums' NaN and ∞ cases come from dW
      const dW = allocFloats(Float32Array, 9 * cout * cin + 9);
      dW.set(values(rng, 9 * cout * cin));
      dW[9 * cout * cin] = 42; // past the last filter: never written
      const want = Float32Array.from(dW);
      kernels(m).gradient(4 * at(dU), 4 * es, 4 * ldu, 4 * at(dW), cout, cin);
      (m === 2 ? filterGradient : filterGradient4)(dU, 0, es, ldu, want, cout, cin);
      const i = same(dW, want);
      expect(i, `dW[${i}] = ${dW[i]}, the loop's ${want[i]}`).toBe(-1);
      expect(dW[9 * cout * cin]).toBe(42);
    });
  });
});
