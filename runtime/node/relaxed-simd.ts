// Imported for its effect, first, by cnnc/runtime/node's entry, loadModule and the cnnc command: lets
// the gemm kernel use relaxed SIMD's fused multiply-add (runtime/wasm/sgemm-kernel.ts), ~15% faster.
// Node 20's V8 has it behind a flag; Node ≥ 22 (and Chrome ≥ 114) have it on, and then this does
// nothing. V8 reads the flag when it validates or compiles a module, so it must be set before the
// runtime compiles its module (on the first float32 gemm); set later, it changes nothing.
// CNNC_NO_RELAXED_SIMD=1 keeps the plain kernel (sgemm-kernel.ts reads it); the flag is then not set.
import { setFlagsFromString } from 'node:v8';
import { relaxedSimdValidates } from '../wasm/sgemm-kernel.js';

if (process.env['CNNC_NO_RELAXED_SIMD'] !== '1' && !relaxedSimdValidates()) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}
