// build for the gpu.js target: checkSource + generateGpujs (float32 only: gpu.js computes in single precision).
// What the target cannot compile is refused with positioned diagnostics (support.ts), never a crash.
import type { BuildResult, CheckSource } from '../5-codegen/build.js';
import { generateGpujs } from './generate.js';
import { unsupportedByGpujs } from './support.js';

export function buildGpujs(check: CheckSource, source: string, file: string): BuildResult {
  const { ir, diagnostics } = check(source, file);
  if (ir === null || diagnostics.some((d) => d.severity === 'error')) return { code: null, diagnostics, ir: null };
  const refused = unsupportedByGpujs(ir, source);
  if (refused.length > 0) return { code: null, diagnostics: [...diagnostics, ...refused], ir: null };
  return { code: generateGpujs(ir), diagnostics, ir };
}
