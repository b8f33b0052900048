// The onnx target: the plan rendered as an ONNX model (opset 17, IR version 8), in eval mode, with the
// weights as initializers under their PyTorch state_dict names. One input `input` [N, ...spec input] with a
// dynamic batch N; one output, the model's last layer (what the TypeScript module's forward returns, e.g.
// log_softmax), named by its path. Encoded by onnx-proto's protobufjs code: same plan and weights, same bytes
// (no time, no path, no random name; protobufjs writes fields in their declared order).
import type { onnx } from 'onnx-proto';
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

/** What renderOnnx says where the optional peer onnx-proto is not installed (`npm install cnnc` leaves it out:
 *  protobufjs 6 weighs 22 MB). */
export const ONNX_PROTO_MISSING = 'cnnc export --to onnx needs the npm package onnx-proto, which cnnc does not install itself: npm install onnx-proto';

/** Thrown by renderOnnx where onnx-proto cannot be imported; its message is ONNX_PROTO_MISSING. */
export class OnnxProtoMissing extends Error {
  constructor() {
    super(ONNX_PROTO_MISSING);
    this.name = 'OnnxProtoMissing';
  }
}

/** onnx-proto's module.exports (CommonJS: an ESM import sees it as the default export). */
type OnnxProto = typeof import('onnx-proto');
let loading: Promise<OnnxProto> | undefined;

/** onnx-proto, imported on first use; rejects with OnnxProtoMissing where it is not installed. */
export function loadOnnxProto(): Promise<OnnxProto> {
  loading ??= import('onnx-proto').then((m) => (m as unknown as { default: OnnxProto }).default, (e: unknown) => {
    loading = undefined;
    const code = (e as { code?: string }).code;
    throw code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? new OnnxProtoMissing() : e;
  });
  return loading;
}

/** The .onnx file's bytes, encoded by onnx-proto. */
export async function renderOnnx(plan: PlannedModel, weights: Weights): Promise<Uint8Array> {
  const proto = await loadOnnxProto();
  return proto.onnx.ModelProto.encode(onnxModel(plan, weights)).finish();
}
