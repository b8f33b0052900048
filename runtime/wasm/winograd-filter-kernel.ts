// The weight side of Winograd (winograd.ts) in wasm: the filter transform U = G g Gᵀ (forward and
// backward-data passes) and the filter gradient dW += Gᵀ dU G, for F(2×2,3×3) and F(4×4,3×3), two
// filters at a time in float64 lanes (f64x2), each value rounded once to float32: the arithmetic and
// its order are those of the JavaScript loops they replace, so the same bits (test/runtime/winograd-filter.test.ts
// keeps those loops as the reference). In JavaScript they took half of a 512→512 layer's step at 2×2
// outputs (resnet18's layer4 at 64×64 inputs: 38 of 76 ms a forward and backward).
//
// filterTransformM(pW, pU, es, count, first, rowStep, colStep), byte addresses and strides: for the
// filters f < count of W (each 9 floats, 36 bytes, from pW), tap (ki, kj) at first + ki·rowStep +
// kj·colStep in the filter (0, 12, 4: as stored; 32, −12, −4: flipped), U_e[f] at pU + e·es + 4f. Filters
// go in pairs: an odd count reads the 9 floats past W's last filter and writes U_e[count], which the
// caller leaves room for (U_e's skewed stride; W's memory goes on past it).
//
// filterGradientM(pDU, es, ldu, pDW, cout, cin): for co < cout, ci < cin, X_e = dU_e[co][ci] at
// pDU + e·es + co·ldu + 4ci, dW[co][ci] (9 floats from pDW + 36·(co·cin + ci)) += Gᵀ X G. In pairs
// along ci; the second of the pair is skipped at an odd row's end.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { repeat } from './winograd-kernel.js';

type I32 = Local<ValType.i32>;
type V128 = Local<ValType.v128>;

/** F(4×4)'s G (6 × 3, row-major) for the points 0, 1, −1, 2, −2, ∞ (winograd.ts, winograd4-kernel.ts). */
export const G4 = [1 / 4, 0, 0, -1 / 6, -1 / 6, -1 / 6, -1 / 6, 1 / 6, -1 / 6, 1 / 24, 1 / 12, 1 / 6, 1 / 24, -1 / 12, 1 / 6, 0, 0, 1];

/** Pushes an f64x2 onto the stack. */
type Expr = () => void;

/** The expression helpers of one function: its locals as values, + − ×, and the float64 constants `constants`,
 *  each splatted into a local here, ahead of the loops (which only read them). */
function algebra(f: FunctionBuilder, constants: readonly number[]): {
  v: (l: V128) => Expr; add: (a: Expr, b: Expr) => Expr; sub: (a: Expr, b: Expr) => Expr; mul: (a: Expr, b: Expr) => Expr; k: (c: number) => Expr;
} {
  const made = new Map<number, V128>();
  for (const c of constants) {
    if (made.has(c)) continue;
    const l = f.local(ValType.v128);
    f.f64Const(c).f64x2Splat().set(l);
    made.set(c, l);
  }
  return {
    v: (l) => () => f.get(l),
    add: (a, b) => () => { a(); b(); f.f64x2Add(); },
    sub: (a, b) => () => { a(); b(); f.f64x2Sub(); },
    mul: (a, b) => () => { a(); b(); f.f64x2Mul(); },
    k: (c) => {
      const l = made.get(c);
      if (l === undefined) throw new Error(`winograd-filter-kernel: the constant ${c} was not declared`);
      return () => f.get(l);
    },
  };
}

/** The constants of a tile's kernels: ½ for F(2×2); G4's entries and the sums' 0 for F(4×4). */
function constantsOf(m: 2 | 4): number[] {
  return m === 2 ? [0.5] : [0, ...G4];
}

/** Bytes of f32 lane 0 of a, then lane 0 of b (and lane 0 of a again, unused). */
const PAIR = [0, 1, 2, 3, 16, 17, 18, 19, 0, 1, 2, 3, 0, 1, 2, 3];

export function filterTransformKernel(m: 2 | 4): FunctionBuilder {
  const f = new FunctionBuilder(`filterTransform${m}`, Array<ValType>(7).fill(ValType.i32));
  const [pW, pU, es, count, first, rowStep, colStep] = f.params as [I32, I32, I32, I32, I32, I32, I32];
  const pairs = f.local(ValType.i32), left = f.local(ValType.i32), at = f.local(ValType.i32);
  const tap = Array.from({ length: 9 }, () => f.local(ValType.i32)); // byte offsets of the taps in a filter
  const g = Array.from({ length: 9 }, () => f.local(ValType.v128)); // g[3ki + kj] of both filters
  const t = Array.from({ length: (m + 2) * 3 }, () => f.local(ValType.v128)); // G g: (m + 2) × 3
  const { v, add, sub, mul, k } = algebra(f, constantsOf(m));
  for (let ki = 0; ki < 3; ki++) {
    for (let kj = 0; kj < 3; kj++) f.get(first).get(rowStep).i32Const(ki).i32Mul().i32Add().get(colStep).i32Const(kj).i32Mul().i32Add().set(tap[3 * ki + kj]!);
  }
  f.get(count).i32Const(1).i32Add().i32Const(1).i32ShrU().set(pairs);
  /** out = e's value, at pU + e·es: lanes 0, 1 rounded to float32 and stored together. */
  const store = (e: number, value: Expr): void => {
    f.get(pU).get(es).i32Const(e).i32Mul().i32Add().set(at);
    f.get(at);
    value();
    f.f32x4DemoteF64x2Zero().v128Store64Lane(0, 0);
  };
  repeat(f, pairs, left, () => {
    for (let i = 0; i < 9; i++) {
      f.get(pW).get(tap[i]!).i32Add().tee(at).v128Load32Zero(0).get(at).v128Load32Zero(36).i8x16Shuffle(PAIR).f64x2PromoteLowF32x4().set(g[i]!);
    }
    const G = (ki: number, kj: number): Expr => v(g[3 * ki + kj]!);
    const T = (i: number, j: number): Expr => v(t[3 * i + j]!);
    const set = (l: V128, e: Expr): void => { e(); f.set(l); };
    if (m === 2) {
      // Column j of G g: g0, (g0 + g1 + g2)·½, (g0 − g1 + g2)·½, g2 (rows 1, 2; rows 0, 3 are g's own)
      for (let j = 0; j < 3; j++) {
        set(t[j]!, G(0, j));
        set(t[3 + j]!, mul(add(add(G(0, j), G(1, j)), G(2, j)), k(0.5)));
        set(t[6 + j]!, mul(add(sub(G(0, j), G(1, j)), G(2, j)), k(0.5)));
        set(t[9 + j]!, G(2, j));
      }
      for (let i = 0; i < 4; i++) {
        const a0 = T(i, 0), a1 = T(i, 1), a2 = T(i, 2);
        store(4 * i, a0);
        store(4 * i + 1, mul(add(add(a0, a1), a2), k(0.5)));
        store(4 * i + 2, mul(add(sub(a0, a1), a2), k(0.5)));
        store(4 * i + 3, a2);
      }
    } else {
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < 3; j++) set(t[3 * i + j]!, add(add(mul(k(G4[3 * i]!), G(0, j)), mul(k(G4[3 * i + 1]!), G(1, j))), mul(k(G4[3 * i + 2]!), G(2, j))));
      }
      for (let i = 0; i < 6; i++) {
        const a0 = T(i, 0), a1 = T(i, 1), a2 = T(i, 2);
        for (let j = 0; j < 6; j++) store(6 * i + j, add(add(mul(k(G4[3 * j]!), a0), mul(k(G4[3 * j + 1]!), a1)), mul(k(G4[3 * j + 2]!), a2)));
      }
    }
    f.addTo(pW, 72).addTo(pU, 8);
  });
  return f;
}

export function filterGradientKernel(m: 2 | 4): FunctionBuilder {
  const f = new FunctionBuilder(`filterGradient${m}`, Array<ValType>(6).fill(ValType.i32));
  const [pDU, es, ldu, pDW, cout, cin] = f.params as [I32, I32, I32, I32, I32, I32];
  const E = (m + 2) * (m + 2);
  const rows = f.local(ValType.i32), pairs = f.local(ValType.i32), left = f.local(ValType.i32), ci = f.local(ValType.i32);
  const row = f.local(ValType.i32), x = f.local(ValType.i32), d = f.local(ValType.i32), dRow = f.local(ValType.i32);
  const X = Array.from({ length: E }, () => f.local(ValType.v128));
  const t = Array.from({ length: 3 * (m + 2) }, () => f.local(ValType.v128)); // Gᵀ X: 3 × (m + 2)
  const r = Array.from({ length: 9 }, () => f.local(ValType.v128)); // Gᵀ X G: 3 × 3
  const { v, add, sub, mul, k } = algebra(f, constantsOf(m));
  const set = (l: V128, e: Expr): void => { e(); f.set(l); };
  f.get(cin).i32Const(1).i32Add().i32Const(1).i32ShrU().set(pairs);
  f.get(pDU).set(row);
  f.get(pDW).set(dRow);
  repeat(f, cout, rows, () => {
    f.get(row).set(x);
    f.get(dRow).set(d);
    f.i32Const(0).set(ci);
    repeat(f, pairs, left, () => {
      for (let e = 0; e < E; e++) f.get(x).get(es).i32Const(e).i32Mul().i32Add().v128Load64Zero(0).f64x2PromoteLowF32x4().set(X[e]!);
      const Xe = (i: number, j: number): Expr => v(X[(m + 2) * i + j]!);
      const T = (kr: number, j: number): Expr => v(t[(m + 2) * kr + j]!);
      if (m === 2) {
        // Gᵀ X by columns: x0 + ½(x1 + x2), ½(x1 − x2), ½(x1 + x2) + x3; then the same along each row of that.
        for (let j = 0; j < 4; j++) {
          set(t[j]!, add(Xe(0, j), mul(k(0.5), add(Xe(1, j), Xe(2, j)))));
          set(t[4 + j]!, mul(k(0.5), sub(Xe(1, j), Xe(2, j))));
          set(t[8 + j]!, add(mul(k(0.5), add(Xe(1, j), Xe(2, j))), Xe(3, j)));
        }
        for (let kr = 0; kr < 3; kr++) {
          set(r[3 * kr]!, add(T(kr, 0), mul(k(0.5), add(T(kr, 1), T(kr, 2)))));
          set(r[3 * kr + 1]!, mul(k(0.5), sub(T(kr, 1), T(kr, 2))));
          set(r[3 * kr + 2]!, add(mul(k(0.5), add(T(kr, 1), T(kr, 2))), T(kr, 3)));
        }
      } else {
        // (Gᵀ X)[kr][j] = Σ_i G[i][kr] X[i][j], then Σ_j (Gᵀ X)[kr][j] G[j][kc]: each sum from 0 and in order.
        for (let kr = 0; kr < 3; kr++) {
          for (let j = 0; j < 6; j++) {
            let s: Expr = k(0);
            for (let i = 0; i < 6; i++) s = add(s, mul(k(G4[3 * i + kr]!), Xe(i, j)));
            set(t[6 * kr + j]!, s);
          }
        }
        for (let kr = 0; kr < 3; kr++) {
          for (let kc = 0; kc < 3; kc++) {
            let s: Expr = k(0);
            for (let j = 0; j < 6; j++) s = add(s, mul(T(kr, j), k(G4[3 * j + kc]!)));
            set(r[3 * kr + kc]!, s);
          }
        }
      }
      // dW[co][ci] and dW[co][ci + 1] (when ci + 1 < cin) += the lanes, each in float64, rounded once.
      for (let lane = 0; lane < 2; lane++) {
        const update = (): void => {
          for (let o = 0; o < 9; o++) {
            f.get(d).get(d).f32Load(36 * lane + 4 * o).f64PromoteF32().get(r[o]!).f64x2ExtractLane(lane).f64Add().f32DemoteF64().f32Store(36 * lane + 4 * o);
          }
        };
        if (lane === 0) update();
        else f.block(() => { f.get(ci).i32Const(1).i32Add().get(cin).i32LtS().i32Eqz().brIf(0); update(); });
      }
      f.addTo(x, 8).addTo(ci, 2).addTo(d, 72);
    });
    f.get(row).get(ldu).i32Add().set(row);
    f.get(cin).i32Const(36).i32Mul().get(dRow).i32Add().set(dRow);
  });
  return f;
}

/** F(2×2)'s two kernels, one side module (side.ts). */
export function filterModule2(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([filterTransformKernel(2), filterGradientKernel(2)], memory);
}

/** F(4×4)'s transform and gradient, a module each (each is over 2 KiB). */
export function filterTransformModule4(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([filterTransformKernel(4)], memory);
}

export function filterGradientModule4(memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  return encodeModule([filterGradientKernel(4)], memory);
}
