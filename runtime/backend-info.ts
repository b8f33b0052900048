// What the TypeScript target runs on in this process (the gpu.js target's counterpart is its
// model's backendInfo(), runtime/gpujs/device.ts): the float32 path, whether its kernels use relaxed
// SIMD, whether that multiply-add is fused here, and the threads. Asking decides what is not decided
// yet (the gemm path, the relaxed SIMD choice: sgemm-kernel.ts's kernelMadd), exactly as the first
// float32 product would, so the answer is what a model then runs on.
import { gemmBackend, type GemmBackend } from './gemm.js';
import { optimFma } from './wasm/optim-more.js';
import { kernelMadd } from './wasm/sgemm-kernel.js';
import { pool } from './wasm/pool.js';

export interface TsBackendInfo {
  /** The path float32 products and kernels take: 'wasm' (SIMD128) or 'js' (no SIMD128, or CNNC_NO_WASM=1). */
  readonly gemm: GemmBackend;
  /**
   * The wasm kernels multiply-add with relaxed SIMD's f32x4.relaxed_madd (false on the JS path, with
   * CNNC_NO_RELAXED_SIMD=1 or setRelaxedSimd(false), and on engines without relaxed SIMD).
   */
  readonly relaxedSimd: boolean;
  /** relaxed_madd is a fused multiply-add on this engine (one rounding), so the optimizer kernels use it too. */
  readonly fma: boolean;
  /** Threads a large enough float32 product or conv2d uses now (getThreads(); 1 on the JS path, which runs on one). */
  readonly threads: number;
}

export function backendInfo(): TsBackendInfo {
  const gemm = gemmBackend();
  const relaxedSimd = gemm === 'wasm' && kernelMadd() === 'relaxed';
  return { gemm, relaxedSimd, fma: relaxedSimd && optimFma() === 'fused', threads: gemm === 'wasm' ? pool.threads : 1 };
}
