// cnnc/runtime/gpujs: what gpu.js generated modules run on (browser-safe; gpu.js is the one dependency).
export { BACKENDS, BackendError, openGpu, type Backend, type GpuLike, type KernelLike } from './backend.js';
export { Device, kernel, type BackendInfo, type DeviceTensor, type KernelSpec } from './device.js';
export { GpujsModel, type GpujsOptions, type Labels, type LossLayout, type ModelLayout, type TensorSlot } from './model.js';
export { runAsync, runSync, type Steps } from './steps.js';
// Adam's step scalars, shared with the TypeScript target's JavaScript update (runtime/optim.ts).
export { adamBiasCorrection2Sqrt, adamStepSize } from '../optim.js';
