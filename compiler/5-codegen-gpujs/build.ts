// build for the gpu.js target: checkSource + generateGpujs (float32 only: gpu.js computes in single precision).
import type { BuildResult, CheckSource } from '../5-codegen/build.js';
import { generateGpujs } from './generate.js';

export function buildGpujs(check: CheckSource, source: string, file: string): BuildResult {
  const { ir, diagnostics } = check(source, file);
  if (ir === null || diagnostics.some((d) => d.severity === 'error')) return { code: null, diagnostics, ir: null };
  return { code: generateGpujs(ir), diagnostics, ir };
}
