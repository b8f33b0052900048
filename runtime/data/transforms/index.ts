// The data pipeline's transforms (torchvision.transforms 0.14 on PIL images, bit for bit where PIL's integer
// arithmetic allows): browser-safe, on the shared Image8 record. See runtime/API.md, "data/transforms".
export * from './types.js';
export { resize, resizeBilinear, resizeOutputSize, resampleCoefficients } from './resize.js';
export type { ResampleCoefficients } from './resize.js';
export { crop, hflip, pad, paddingLTRB, centerCrop, roundHalfEven } from './geometry.js';
export { blend, toGray, toRgb, adjustBrightness, adjustContrast, adjustSaturation, adjustHue } from './color.js';
export { toTensor, tensorTable, checkNormalize, normalizeValue, normalizeImages } from './tensor.js';
export type { NormalizeParams } from './tensor.js';
export {
  sampleRng, rngDraws, drawParams, applyParams, jitterRange, randomCropPaddedSize,
  drawRandomCrop, applyRandomCrop, drawFlip, applyFlip, drawResizedCrop, applyResizedCrop, drawJitter, applyJitter,
} from './random.js';
export type { Draws, RandomParams, CropParams, FlipParams, ResizedCropParams, JitterParams } from './random.js';
export { applyPipeline, pipelineNormalize, pipelineOutputSize, transformProblems, describeTransform } from './pipeline.js';
export type { PipelineOptions } from './pipeline.js';
