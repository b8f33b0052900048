// The ONNX graph as it is built, layer by layer: its nodes, its initializers (the weights, under their
// PyTorch state_dict names, and the few constants an op needs as an input), and the name of each layer's
// output value. The messages are onnx-proto's plain objects (onnx.proto of ONNX 1.10), encoded by
// protobufjs in generate.ts. Every name is data in a protobuf string field, never code: nothing a spec
// names can change what the file means.
import type { onnx } from 'onnx-proto';
import type { NodePlan } from '../ir/plan.js';
import type { ParamInfo } from '../ir/types.js';

// onnx.proto's enum values (AttributeProto.AttributeType, TensorProto.DataType): fixed by the format. Written
// here, not read from onnx-proto, so that building the message needs no package (onnx-proto is an optional
// peer, loaded by renderOnnx to encode); test/onnx checks them against onnx-proto's.
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;
export const DataType = { FLOAT: 1, INT64: 7 } as const;

export type Attribute = onnx.IAttributeProto;

export const attr = {
  int: (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: readonly number[]): Attribute => ({ name, type: AttributeType.INTS, ints: [...ints] }),
  float: (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): Attribute => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
};

/** The weights a model is exported with, by state_dict name: float32, row-major, PyTorch's layouts. */
export type Weights = (name: string) => Float32Array;

/** float32 little-endian, as ONNX's raw_data is on every platform. */
function floatBytes(data: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(4 * data.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  return bytes;
}

function int64Bytes(data: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(8 * data.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setBigInt64(8 * i, BigInt(data[i]!), true);
  return bytes;
}

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  /** Each layer's output value, by IR node name (a dropout's is its input's: it is not exported). */
  private readonly values = new Map<string, string>([['input', 'input']]);

  constructor(private readonly weights: Weights) {}

  /** The value a layer reads as its input number i. */
  input(np: NodePlan, i = 0): string {
    const name = np.node.inputs[i]!;
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`cnnc internal error: ${np.node.name} reads ${name}, which has no ONNX value yet`);
    return v;
  }

  inputs(np: NodePlan): string[] {
    return np.node.inputs.map((_, i) => this.input(np, i));
  }

  /** The layer's output value: its module path (`layer1.0.conv1`) or name, as PyTorch's modules are named. */
  output(np: NodePlan): string {
    const v = pathOf(np);
    this.values.set(np.node.name, v);
    return v;
  }

  /** The layer is not exported (dropout in eval mode): its readers read its input. */
  alias(np: NodePlan): void {
    this.values.set(np.node.name, this.input(np));
  }

  /** The value a layer's output is, once it is rendered. */
  valueOf(node: string): string {
    const v = this.values.get(node);
    if (v === undefined) throw new Error(`cnnc internal error: ${node} has no ONNX value`);
    return v;
  }

  /** One op of the layer: named by the layer's path, with `/<step>` where the layer takes several ops. (No
   *  doc_string: the plan's comment speaks of the TypeScript target's fusions and aliases, which ONNX has not.) */
  op(np: NodePlan, opType: string, input: readonly string[], output: string, attribute: readonly Attribute[] = [], step?: string): void {
    const name = step === undefined ? pathOf(np) : `${pathOf(np)}/${step}`;
    this.nodes.push({ input: [...input], output: [output], name, opType, attribute: [...attribute] });
  }

  /** The layer's parameter of this role, as an initializer under its state_dict name. */
  param(np: NodePlan, role: ParamInfo['role']): string {
    const p = np.node.params.find((q) => q.role === role);
    if (p === undefined) throw new Error(`cnnc internal error: ${np.node.name} has no ${role}`);
    const data = this.weights(p.name);
    if (data.length !== p.size) throw new Error(`cnnc internal error: ${p.name} holds ${data.length} numbers, not ${p.size}`);
    this.initializers.push({ name: p.name, dims: [...p.shape], dataType: DataType.FLOAT, rawData: floatBytes(data) });
    return p.name;
  }

  /** A constant the layer's op reads as an input (Clip's bounds, Resize's scales): `<path>/<what>`. */
  constFloat(np: NodePlan, what: string, dims: readonly number[], data: readonly number[]): string {
    const name = `${pathOf(np)}/${what}`;
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: floatBytes(data) });
    return name;
  }

  constInt64(np: NodePlan, what: string, dims: readonly number[], data: readonly number[]): string {
    const name = `${pathOf(np)}/${what}`;
    this.initializers.push({ name, dims: [...dims], dataType: DataType.INT64, rawData: int64Bytes(data) });
    return name;
  }
}

/** A layer's name in the graph: its PyTorch module path inside a block or sequential, else its name. */
export function pathOf(np: NodePlan): string {
  return np.node.module ?? np.node.name;
}

/** A float32 tensor value of shape [N, ...shape], N the dynamic batch. */
export function tensorValue(name: string, shape: readonly number[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, ...shape.map((d) => ({ dimValue: d }))] } } },
  };
}
