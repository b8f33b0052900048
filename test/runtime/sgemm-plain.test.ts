// The gemm kernel without relaxed SIMD (engines without it, or CNNC_NO_RELAXED_SIMD=1): f32x4.mul
// then f32x4.add, rounded twice per step, and threads give the bits of one thread on it too.
import { expect, test } from 'vitest';
import { initThreads } from 'cnnc/runtime/node';
import { stopThreads } from 'cnnc/runtime';
import { kernelMadd, relaxedSimdValidates } from '../../runtime/wasm/sgemm-kernel.js';
import { expectThreadsBitwise, mulAdd, tilesAgainst } from './sgemm-madd.js';

const wasm = process.env['CNNC_NO_WASM'] !== '1';
// Read when the kernel is first built (kernelMadd), which nothing has done yet in this process.
process.env['CNNC_NO_RELAXED_SIMD'] = '1';

test('CNNC_NO_RELAXED_SIMD=1 keeps the plain kernel even where the engine has relaxed SIMD', async () => {
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // what kernelMadd skips under the switch
  expect(relaxedSimdValidates()).toBe(true);
  expect(kernelMadd()).toBe('plain');
});

test('the plain tiles equal float32 mul then add, bit for bit, with A packed or read by rows where it is stored', () => {
  for (const byRows of [false, true]) {
    const { got, want } = tilesAgainst('plain', mulAdd, byRows);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), byRows ? 'by rows' : 'packed').toBe(true);
  }
});

test.runIf(wasm)('2 threads give the bits of 1 on the plain kernel', async () => {
  expect(kernelMadd()).toBe('plain');
  await initThreads(2);
  try {
    expectThreadsBitwise();
  } finally {
    await stopThreads();
  }
});
