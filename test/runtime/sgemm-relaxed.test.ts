// The gemm kernel on relaxed SIMD's f32x4.relaxed_madd, which the runtime itself enables on Node 20
// (sgemm-kernel.ts's kernelMadd; test/runtime/same-bits.test.ts: whatever the entry): chosen by default once the engine accepts it, fused on a CPU
// with FMA (one rounding per step, not two), and threads still give the bits of one thread.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { initThreads } from 'cnnc/runtime/node';
import { stopThreads } from 'cnnc/runtime';
import { kernelMadd, relaxedSimdValidates, setKernelMadd } from '../../runtime/wasm/sgemm-kernel.js';
import { expectThreadsBitwise, fused, mulAdd, tilesAgainst } from './sgemm-madd.js';

const wasm = process.env['CNNC_NO_WASM'] !== '1';
/** x64 Linux with FMA3: relaxed_madd is one vfmadd there (V8's choice; elsewhere it may be mul + add). */
const fma = process.arch === 'x64' && (() => { try { return /\bfma\b/.test(readFileSync('/proc/cpuinfo', 'utf8')); } catch { return false; } })();

test('the kernel takes relaxed SIMD, and its decision made Node 20 accept it', () => {
  expect(kernelMadd()).toBe(process.env['CNNC_NO_RELAXED_SIMD'] === '1' ? 'plain' : 'relaxed');
  expect(relaxedSimdValidates()).toBe(process.env['CNNC_NO_RELAXED_SIMD'] !== '1');
});

test.runIf(fma)('relaxed_madd rounds once: the tiles equal fused float32 multiply-adds, bit for bit (A packed or read by rows), and differ from mul then add', () => {
  const { got, want } = tilesAgainst('relaxed', fused);
  expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
  const rows = tilesAgainst('relaxed', fused, true);
  expect(Buffer.from(rows.got.buffer).equals(Buffer.from(rows.want.buffer)), 'by rows').toBe(true);
  const unfused = tilesAgainst('relaxed', mulAdd).want;
  expect(got.some((v, i) => v !== unfused[i])).toBe(true);
});

test('the relaxed kernel is within float32 rounding of the plain one everywhere', () => {
  const { got } = tilesAgainst('relaxed', fused);
  const { got: plain } = tilesAgainst('plain', mulAdd);
  const worst = Math.max(...got.map((v, i) => Math.abs(v - plain[i]!)));
  expect(worst).toBeLessThan(1e-5); // |C| ≲ 6 after 37 products of [-1, 1] values: ~40 ulp of slack
});

test('setKernelMadd forces either kernel for modules built later', () => {
  const before = kernelMadd();
  setKernelMadd('plain');
  expect(kernelMadd()).toBe('plain');
  setKernelMadd(before);
});

test.runIf(wasm)('2 threads give the bits of 1 on the relaxed kernel', async () => {
  expect(kernelMadd()).toBe('relaxed');
  await initThreads(2);
  try {
    expectThreadsBitwise();
  } finally {
    await stopThreads();
  }
});

