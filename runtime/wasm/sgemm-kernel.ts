// The WebAssembly SIMD128 sgemm micro-kernel, written as emit calls (see encoder.ts).
//
// tiles(tilesM, tilesN, kc, pA, pB, pC, ldc, load) computes, for every MR×NR tile of C:
//   C[tile] = (load ? C[tile] : 0) + Σ_{k<kc} a_k · b_kᵀ
// where pA holds tilesM packed micro-panels of A (MR floats per k, k-major, one after the other)
// and pB tilesN packed micro-panels of B (NR floats per k). C is row-major, ldc bytes per row,
// tile (i, j) at pC + i·MR·ldc + j·NR·4. All pointers are byte addresses in the module's memory.
//
// Register blocking: the MR×NR tile lives in MR·NV v128 locals (NV = NR/4 vectors per row). Per k:
// NV vector loads of B, MR broadcast loads of A, MR·NV multiplies and adds (SIMD128 has no FMA
// without relaxed-simd, which Node 20 keeps behind a flag). V8 maps v128 locals to the 16 xmm
// registers: MR·NV + NV + 1 ≤ 16 keeps the loop free of spills. Measured on the MNIST model's gemm
// shapes (conv2 forward and both backward products, fc1), GFLOP/s of the whole call: 4×8 35–40,
// 5×8 30–37, 6×8 30–36, 4×12 32–36, 3×16 30–37: 4×8 wins (64-row operands divide evenly, and
// V8's register allocator keeps all of it in registers).
// Loop order: a B micro-panel (kc·NR·4 bytes, 8 KiB at kc = 256) stays in L1 while the A panels
// stream past it from L2.
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { packCols, packRows } from './pack-kernel.js';
import { relu, reluBackward } from './elementwise-kernel.js';

type I32 = Local<ValType.i32>;

export const MR = 4;
export const NV = 2;
export const NR = NV * 4;

/**
 * The runtime's one wasm module: these tiles, the packing loops (pack-kernel.ts) and relu
 * (elementwise-kernel.ts), over an imported memory: a plain one for one thread, a shared one that
 * every thread's instance of the module imports (threads.ts).
 */
export function sgemmModule(memory: MemoryDecl = { shared: false, pages: 1 }): Uint8Array<ArrayBuffer> {
  return encodeModule([tiles(), packRows(), packCols(), relu(), reluBackward()], memory);
}

function tiles(): FunctionBuilder {
  const f = new FunctionBuilder('tiles', Array<ValType>(8).fill(ValType.i32));
  const [tilesM, tilesN, kc, pA, pB, pC, ldc, load] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32];
  const jt = f.local(ValType.i32); // B panels left
  const it = f.local(ValType.i32); // A panels left
  const k = f.local(ValType.i32); // k steps left
  const a = f.local(ValType.i32); // A read pointer
  const b = f.local(ValType.i32); // B read pointer
  const bPanel = f.local(ValType.i32); // the current B micro-panel
  const cTile = f.local(ValType.i32); // the current C tile's first row
  const cRow = f.local(ValType.i32);
  const acc = Array.from({ length: MR }, () => Array.from({ length: NV }, () => f.local(ValType.v128)));
  const bv = Array.from({ length: NV }, () => f.local(ValType.v128));
  const av = f.local(ValType.v128);

  /** for each row r of the tile: cRow = cTile + r·ldc, then body(r). */
  const eachRow = (body: (r: number) => void): void => {
    f.get(cTile).set(cRow);
    for (let r = 0; r < MR; r++) {
      if (r > 0) f.addTo(cRow, ldc);
      body(r);
    }
  };

  f.get(pB).set(bPanel);
  f.get(pC).set(cTile);
  f.get(tilesN).set(jt);
  f.loop(() => { // over B panels (columns of C)
    f.get(pA).set(a);
    f.get(tilesM).set(it);
    f.loop(() => { // over A panels (rows of C)
      // acc = load ? C tile : 0
      f.get(load).ifElse(
        () => eachRow((r) => acc[r]!.forEach((x, v) => f.get(cRow).v128Load(16 * v).set(x))),
        () => acc.flat().forEach((x) => f.v128Zero().set(x)),
      );
      f.get(bPanel).set(b);
      f.get(kc).set(k);
      f.loop(() => { // over k: acc += a_k · b_kᵀ
        bv.forEach((x, v) => f.get(b).v128Load(16 * v).set(x));
        for (let r = 0; r < MR; r++) {
          f.get(a).v128Load32Splat(4 * r).set(av);
          for (let v = 0; v < NV; v++) f.get(acc[r]![v]!).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(acc[r]![v]!);
        }
        f.addTo(a, 4 * MR).addTo(b, 4 * NR);
        f.get(k).i32Const(1).i32Sub().tee(k).brIf(0);
      });
      eachRow((r) => acc[r]!.forEach((x, v) => f.get(cRow).get(x).v128Store(16 * v)));
      // next tile down: cTile += MR·ldc (a already points at the next A panel)
      f.get(cTile).get(ldc).i32Const(MR).i32Mul().i32Add().set(cTile);
      f.get(it).i32Const(1).i32Sub().tee(it).brIf(0);
    });
    // next B panel; C tile back to the top row, NR columns right
    f.get(b).set(bPanel);
    f.get(cTile).get(tilesM).get(ldc).i32Mul().i32Const(MR).i32Mul().i32Sub().i32Const(4 * NR).i32Add().set(cTile);
    f.get(jt).i32Const(1).i32Sub().tee(jt).brIf(0);
  });
  return f;
}
