// backendInfo reports what really ran: the kernel classes gpu.js instantiated, not the mode asked for.
import { describe, expect, it } from 'vitest';
import { Device, kernel, openGpu, type GpuLike, type KernelLike } from '../../runtime/gpujs/index.js';

const DOUBLE = kernel('double', ['a'], (n) => n, () => 'return a[this.thread.x] * 2.0;');

describe('Device.info', () => {
  for (const [mode, cls] of [['cpu', 'CPUKernel'], ['webasm', 'WebAssemblyKernel']] as const) {
    it(`${mode}: the kernels ran as ${cls}`, () => {
      const d = new Device(openGpu(mode), mode);
      expect(Array.from(d.read(d.run(DOUBLE, 3, new Float32Array([1, 2, 3]))) as Float32Array)).toEqual([2, 4, 6]);
      expect(d.info()).toEqual({ requested: mode, mode, kernelClasses: { [cls]: 1 }, modes: [mode], fallbacks: [], honest: true });
      d.destroy();
    });
  }

  it("'gpu' (gpu.js's own choice) resolves to webasm here, and says so", () => {
    const d = new Device(openGpu('gpu'), 'gpu');
    d.run(DOUBLE, 2, new Float32Array([1, 2]));
    const info = d.info();
    expect(info.requested).toBe('gpu');
    expect(info.modes).toEqual(['webasm']);
    d.destroy();
  });

  it('a kernel gpu.js moved to the cpu backend makes the report dishonest, with the reason', () => {
    // A stand-in for gpu.js's silent fallback: the GPU says webasm, the kernel that ran is a CPUKernel.
    class CPUKernel {
      static readonly mode = 'cpu';
      readonly fallbackReason = 'texture arguments are not supported by webasm';
    }
    const fake: GpuLike = {
      mode: 'webasm',
      createKernel: () => Object.assign(() => new Float32Array(1), { kernel: new CPUKernel(), destroy: () => {} }) as unknown as KernelLike,
      destroy: () => {},
    };
    const d = new Device(fake, 'webasm');
    d.run(DOUBLE, 1, new Float32Array(1));
    const info = d.info();
    expect(info.honest).toBe(false);
    expect(info.modes).toEqual(['cpu']);
    expect(info.fallbacks).toEqual([{ kernel: 'double@1', reason: 'texture arguments are not supported by webasm' }]);
  });
});
