// cnnc/runtime: what generated modules run on. Browser-safe: nothing here imports node:*.
export type { CompiledModel, ParameterView, TrainingState, FloatArray } from './model.js';
export type * from './contracts.js';
export * from './rng.js';
export * from './init.js';
export * from './gemm.js';
export * from './wasm/relu.js';
export * from './wasm/smooth.js';
export * from './wasm/batchnorm.js';
export * from './wasm/conv.js';
export * from './wasm/resident.js';
export * from './wasm/maxpool.js';
export * from './threads.js';
export { backendInfo, type TsBackendInfo } from './backend-info.js';
export { setRelaxedSimd } from './wasm/sgemm-kernel.js';
export * from './optim.js';
export * from './safetensors.js';
export * from './util.js';
export { lossAccumulator, lossElements, type LossAccumulator } from './train/losses.js';
