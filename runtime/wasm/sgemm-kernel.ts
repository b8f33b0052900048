// The WebAssembly SIMD128 sgemm micro-kernel, written as emit calls (see encoder.ts).
//
// tiles(tilesM, tilesN, kc, pA, pB, pC, ldc, load) computes, for every MR×NR tile of C:
//   C[tile] = (load ? C[tile] : 0) + Σ_{k<kc} a_k · b_kᵀ
// where pA holds tilesM packed micro-panels of A (MR floats per k, k-major, one after the other)
// and pB tilesN packed micro-panels of B (NR floats per k). C is row-major, ldc bytes per row,
// tile (i, j) at pC + i·MR·ldc + j·NR·4. All pointers are byte addresses in the module's memory.
//
// Register blocking: the MR×NR tile lives in MR·NV v128 locals (NV = NR/4 vectors per row). Per k:
// NV vector loads of B, MR broadcast loads of A, MR·NV multiply-adds: one fused f32x4.relaxed_madd
// each where the engine has relaxed SIMD (an FMA on x64 with FMA3, NEON's fmla on arm64), else
// f32x4.mul then f32x4.add. V8 maps v128 locals to the xmm registers: MR·NV + NV + 1 ≤ 15 keeps
// the loop free of spills. Measured here (Xeon, 2.6 GHz: 128-bit FMA peaks at ~42 GFLOP/s a core)
// on the MNIST model's gemm shapes (bench/gemm-shapes.mjs: conv2 forward and both backward
// products, fc1's three), GFLOP/s of the whole call, medians of 3 runs:
//   mul+add 4×8 29–37; relaxed_madd 4×8 34–46, 6×8 33–43, 2×16 32–46, 5×8 29–39, 4×12 28–39,
//   3×16 28–38, 8×8 (spills) 27–31.
// 4×8 wins both ways (64-row operands divide evenly, and it is within ~10% of the FMA peak).
// Loop order: a B micro-panel (kc·NR·4 bytes, 8 KiB at kc = 256) stays in L1 while the A panels
// stream past it from L2.
import { assertNever } from '../assert-never.js';
import { encodeModule, FunctionBuilder, ValType, type Local, type MemoryDecl } from './encoder.js';
import { packCols, packRows } from './pack-kernel.js';
import { relu, reluBackward } from './elementwise-kernel.js';
import { addRowSums, copyRows, fillRows, im2colKernel } from './conv-kernel.js';
import { maxpool2x2Kernel, maxpoolBackwardKernel, maxpoolKernel } from './pool-kernel.js';

type I32 = Local<ValType.i32>;

export const MR = 4;
export const NV = 2;
export const NR = NV * 4;

/** How the kernel multiplies and adds: relaxed-simd's f32x4.relaxed_madd, or f32x4.mul then f32x4.add. */
export type Madd = 'relaxed' | 'plain';

let madd: Madd | undefined;
/** setRelaxedSimd(false): the plain kernel, whatever the engine has. */
let relaxedOff = false;

/**
 * Whether the wasm kernels use relaxed SIMD's f32x4.relaxed_madd (fused multiply-add where the CPU
 * has one), decided once, here, for every entry: cnnc/runtime alone, cnnc/runtime/node, the cnnc
 * command and a browser bundle take the same decision on the same engine, so the same seed gives
 * the same bits. In order:
 * 1. off if setRelaxedSimd(false) was called, or CNNC_NO_RELAXED_SIMD=1 is in the environment (Node);
 * 2. on where the engine validates a tiny relaxed_madd module (Chrome ≥ 114, Node ≥ 22);
 * 3. on Node 20, where V8 has it behind --experimental-wasm-relaxed-simd: the flag is set through
 *    process.getBuiltinModule('node:v8') (Node ≥ 20.16; no import of node:*, so a browser bundle is
 *    unaffected) and the module validated again. V8 reads the flag when it validates or compiles a
 *    module, and nothing relaxed has been compiled before this decision, so setting it now works;
 * 4. else off (f32x4.mul then f32x4.add).
 */
export function kernelMadd(): Madd {
  if (madd === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    madd = !relaxedOff && env?.['CNNC_NO_RELAXED_SIMD'] !== '1' && detectRelaxedSimd() ? 'relaxed' : 'plain';
  }
  return madd;
}

/** Steps 2 and 3 of kernelMadd: whether this engine accepts relaxed_madd, after turning on Node 20's flag for it. */
function detectRelaxedSimd(): boolean {
  if (relaxedSimdValidates()) return true;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const v8 = proc?.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
  if (typeof v8?.setFlagsFromString !== 'function') return false;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdValidates();
}

/**
 * The documented switch: setRelaxedSimd(false) keeps the plain kernel (two roundings per multiply-add,
 * the bits of an engine without relaxed SIMD); true restores the default decision (kernelMadd). Call
 * it before the first float32 product: the kernels are built once, and a different choice after that
 * throws rather than leave the process half on one kernel.
 */
export function setRelaxedSimd(enabled: boolean): void {
  const was = { madd, relaxedOff };
  relaxedOff = !enabled;
  if (was.madd === undefined) return;
  madd = undefined;
  if (kernelMadd() === was.madd) return;
  ({ madd, relaxedOff } = was);
  throw new Error(`setRelaxedSimd(${enabled}): the wasm kernels were already built ${madd === 'relaxed' ? 'with' : 'without'} relaxed SIMD; call it before the first float32 product`);
}

/**
 * Test hook: the multiply-add of modules built from now on (sgemm.ts builds its module on first use
 * and keeps it, so call this first). 'relaxed' where the engine lacks it is an error.
 */
export function setKernelMadd(m: Madd): void {
  if (m === 'relaxed' && !detectRelaxedSimd()) throw new Error('sgemm: this engine has no relaxed SIMD');
  madd = m;
}

/** Whether this engine accepts relaxed_madd (a property of the engine and its flags, not cached). */
export function relaxedSimdValidates(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(encodeModule([tiles(MR, NV, 'relaxed')], { shared: false, pages: 1 }));
}

/**
 * The runtime's one wasm module: these tiles, the packing loops (pack-kernel.ts) and relu
 * (elementwise-kernel.ts), over an imported memory: a plain one for one thread, a shared one that
 * every thread's instance of the module imports (threads.ts).
 */
export function sgemmModule(memory: MemoryDecl = { shared: false, pages: 1 }): Uint8Array<ArrayBuffer> {
  return encodeModule([tiles(MR, NV, kernelMadd()), packRows(), packCols(), relu(), reluBackward(), im2colKernel(false), im2colKernel(true), fillRows(), copyRows(), maxpoolKernel(), maxpool2x2Kernel(), addRowSums(), maxpoolBackwardKernel()], memory);
}

/**
 * The kernel for mr×(4·nv) tiles (exported for tests and bench/gemm-shapes.mjs; the runtime uses MR × NV):
 * tiles(tilesM, tilesN, kc, pA, rs, ks, ps, pB, kb, pb, pC, ldc, load), A's element (r, k) of panel i at
 * pA + i·ps + r·rs + k·ks bytes, B's 4·nv elements (k, ·) of panel j at pB + j·pb + k·kb: packed micro-panels
 * (A: rs = 4, ks = 4·mr, ps = 4·mr·kc; B: kb = 16·nv, pb = 16·nv·kc) or an operand where it is stored by rows (A:
 * rs = its row stride, ks = 4, ps = mr·rs; B: kb = its row stride, pb = 16·nv; no copy: gemm-part.js rowsA, rowsB).
 * The same loads from other addresses either way, so the same products in the same order: the same bits.
 */
export function tiles(mr: number, nv: number, m: Madd): FunctionBuilder {
  const f = new FunctionBuilder('tiles', Array<ValType>(13).fill(ValType.i32));
  const [tilesM, tilesN, kc, pA, rs, ks, ps, pB, kb, pb, pC, ldc, load] = f.params as [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  const jt = f.local(ValType.i32); // B panels left
  const it = f.local(ValType.i32); // A panels left
  const k = f.local(ValType.i32); // k steps left
  const aPanel = f.local(ValType.i32); // the current A panel
  const b = f.local(ValType.i32); // B read pointer
  const bPanel = f.local(ValType.i32); // the current B micro-panel
  const cTile = f.local(ValType.i32); // the current C tile's first row
  const cRow = f.local(ValType.i32);
  const acc = Array.from({ length: mr }, () => Array.from({ length: nv }, () => f.local(ValType.v128)));
  const bv = Array.from({ length: nv }, () => f.local(ValType.v128));
  const av = f.local(ValType.v128);
  const aRows = Array.from({ length: mr }, () => f.local(ValType.i32)); // A read pointers, one a row (+ ks a k step)

  /** for each row r of the tile: cRow = cTile + r·ldc, then body(r). */
  const eachRow = (body: (r: number) => void): void => {
    f.get(cTile).set(cRow);
    for (let r = 0; r < mr; r++) {
      if (r > 0) f.addTo(cRow, ldc);
      body(r);
    }
  };

  f.get(pB).set(bPanel);
  f.get(pC).set(cTile);
  f.get(tilesN).set(jt);
  f.loop(() => { // over B panels (columns of C)
    f.get(pA).set(aPanel);
    f.get(tilesM).set(it);
    f.loop(() => { // over A panels (rows of C)
      aRows.forEach((x, r) => (r === 0 ? f.get(aPanel) : f.get(aRows[r - 1]!).get(rs).i32Add()).set(x));
      // acc = load ? C tile : 0
      f.get(load).ifElse(
        () => eachRow((r) => acc[r]!.forEach((x, v) => f.get(cRow).v128Load(16 * v).set(x))),
        () => acc.flat().forEach((x) => f.v128Zero().set(x)),
      );
      f.get(bPanel).set(b);
      f.get(kc).set(k);
      f.loop(() => { // over k: acc += a_k · b_kᵀ
        bv.forEach((x, v) => f.get(b).v128Load(16 * v).set(x));
        for (let r = 0; r < mr; r++) {
          f.get(aRows[r]!).v128Load32Splat(0).set(av);
          for (let v = 0; v < nv; v++) {
            const x = acc[r]![v]!;
            switch (m) {
              case 'relaxed': f.get(av).get(bv[v]!).get(x).f32x4RelaxedMadd().set(x); break;
              case 'plain': f.get(x).get(av).get(bv[v]!).f32x4Mul().f32x4Add().set(x); break;
              default: assertNever(m, 'multiply-add');
            }
          }
        }
        aRows.forEach((x) => f.addTo(x, ks));
        f.addTo(b, kb);
        f.get(k).i32Const(1).i32Sub().tee(k).brIf(0);
      });
      eachRow((r) => acc[r]!.forEach((x, v) => f.get(cRow).get(x).v128Store(16 * v)));
      // next tile down: cTile += MR·ldc, the next A panel
      f.get(cTile).get(ldc).i32Const(mr).i32Mul().i32Add().set(cTile);
      f.addTo(aPanel, ps);
      f.get(it).i32Const(1).i32Sub().tee(it).brIf(0);
    });
    // next B panel; C tile back to the top row, NR columns right
    f.addTo(bPanel, pb);
    f.get(cTile).get(tilesM).get(ldc).i32Mul().i32Const(mr).i32Mul().i32Sub().i32Const(16 * nv).i32Add().set(cTile);
    f.get(jt).i32Const(1).i32Sub().tee(jt).brIf(0);
  });
  return f;
}
