import { describe, expect, it } from 'vitest';
import { checkFile } from '../../compiler/index.js';

describe('specs/fashion.yaml', () => {
  it('checks clean and reads Fashion-MNIST from Debian\'s dataset directory for 1 epoch', () => {
    const { ir, diagnostics } = checkFile('specs/fashion.yaml');
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ir?.data).toEqual({ source: 'idx', path: '/usr/share/datasets/fashion-mnist', task: 'classification', valSplit: null, transforms: { eval: [], train: [] } });
    expect(ir?.train.epochs).toBe(1);
    expect(ir?.output).toBe(ir?.nodes[ir.nodes.length - 1]?.name);
  });
});
