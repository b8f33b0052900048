// The onnx target: the plan rendered as an ONNX model (opset 17, IR version 8), in eval mode, with the
// weights as initializers under their PyTorch state_dict names. One input `input` [N, ...spec input] with a
// dynamic batch N; one output, the model's last layer (what the TypeScript module's forward returns, e.g.
// log_softmax), named by its path. Encoded by onnx-proto's protobufjs code: same plan and weights, same bytes
// (no time, no path, no random name; protobufjs writes fields in their declared order).
import onnxProto, { type onnx } from 'onnx-proto';
import type { PlannedModel } from '../ir/plan.js';
import { VERSION } from '../version.js';
import { GraphBuilder, tensorValue, type Weights } from './graph.js';
import { renderLayer } from './layers.js';

export type { Weights } from './graph.js';

/** ONNX 1.12's newest opset: Debian's python3-onnx checks up to it, and onnxruntime runs it. */
export const ONNX_OPSET = 17;
/** The IR version of opset 17's ONNX (1.10–1.12). */
export const ONNX_IR_VERSION = 8;

/** The model as onnx-proto's plain message (for tests and tools); renderOnnx encodes it. A spec that
 *  unsupportedByOnnx refuses must not get here. */
export function onnxModel(plan: PlannedModel, weights: Weights): onnx.IModelProto {
  const g = new GraphBuilder(weights);
  for (const np of plan.nodes) renderLayer(np, g);
  const ir = plan.ir;
  const output = plan.nodes.find((np) => np.node.name === ir.output)!;
  return {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'cnnc',
    producerVersion: VERSION,
    docString: `${ir.name}, exported by cnnc ${VERSION} in eval mode (dropout removed, batchnorm on its running statistics)`,
    metadataProps: [{ key: 'cnnc.spec_sha256', value: ir.specHash }],
    graph: {
      name: ir.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorValue('input', ir.input.shape)],
      output: [tensorValue(g.valueOf(ir.output), output.node.outShape)],
    },
  };
}

/** The .onnx file's bytes. */
export function renderOnnx(plan: PlannedModel, weights: Weights): Uint8Array {
  return onnxProto.onnx.ModelProto.encode(onnxModel(plan, weights)).finish();
}
