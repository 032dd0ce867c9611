/**
 * A small writer for ONNX graphs on top of the generated protobufjs classes in
 * `onnx-proto`. It keeps names unique, stores weights as little-endian raw data and
 * encodes the finished ModelProto.
 */
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS: Node's ESM loader exposes it only as a default export.
const { onnx } = onnxProto;

/** A symbolic or fixed dimension: numbers are fixed, strings are named (dynamic) dimensions. */
export type OnnxDim = number | string;

type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

/** Attribute helpers: ONNX attributes are typed, and JS numbers alone cannot tell int from float. */
export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  ints: (value: number[]): AttributeValue => ({ kind: 'ints', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  floats: (value: number[]): AttributeValue => ({ kind: 'floats', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
};

function toAttributeProto(name: string, a: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return onnx.AttributeProto.create({ name, type: T.INT, i: a.value });
    case 'ints':
      return onnx.AttributeProto.create({ name, type: T.INTS, ints: a.value });
    case 'float':
      return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.value });
    case 'floats':
      return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: a.value });
    case 'string':
      return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(a.value) });
  }
}

function valueInfo(name: string, dims: OnnxDim[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  });
}

/** Builds one ONNX graph; nodes must be added in topological order. */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly used = new Set<string>();
  /** Constants keyed by content, so repeated small constants (shapes, clip bounds) are stored once. */
  private readonly constantsByKey = new Map<string, string>();

  /** A name not used yet in this graph, derived from `base` (ONNX names are free-form strings). */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Claims an exact name (graph inputs and outputs) before any node can take it. */
  reserve(name: string): void {
    if (this.used.has(name)) throw new Error(`ONNX name '${name}' is already taken.`);
    this.used.add(name);
  }

  /** Declares a graph input; its name must have been reserved or be free. */
  addInput(name: string, dims: OnnxDim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  addOutput(name: string, dims: OnnxDim[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /** Adds a float32 initializer; `data` is copied. Returns its (unique) name. */
  addFloatTensor(baseName: string, dims: number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) {
      throw new Error(`Initializer ${baseName}: ${data.length} values for shape [${dims.join(',')}].`);
    }
    const name = this.uniqueName(baseName);
    const bytes = new Uint8Array(data.byteLength);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.initializers.push(
      onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes }),
    );
    return name;
  }

  /** A float32 constant shared by content (for small tensors such as clip bounds or scalars). */
  floatConstant(dims: number[], values: number[]): string {
    const key = `f|${dims.join(',')}|${values.join(',')}`;
    const existing = this.constantsByKey.get(key);
    if (existing) return existing;
    const name = this.addFloatTensor('const_f', dims, Float32Array.from(values));
    this.constantsByKey.set(key, name);
    return name;
  }

  /** An int64 1-D constant shared by content (shapes, pads, axes, slice bounds). */
  int64Constant(values: number[]): string {
    const key = `i|${values.join(',')}`;
    const existing = this.constantsByKey.get(key);
    if (existing) return existing;
    const name = this.uniqueName('const_i');
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push(
      onnx.TensorProto.create({
        name,
        dims: [values.length],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: new Uint8Array(data.buffer),
      }),
    );
    this.constantsByKey.set(key, name);
    return name;
  }

  /**
   * Appends a node. `outputs` is either explicit names or a base name for one fresh output.
   * Returns the output names.
   */
  addNode(
    opType: string,
    inputs: string[],
    outputs: string | string[],
    attributes: Record<string, AttributeValue> = {},
    nodeName?: string,
  ): string[] {
    // Explicit names are graph outputs, reserved up front.
    const outputNames = Array.isArray(outputs) ? outputs : [this.uniqueName(outputs)];
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outputNames,
        name: this.uniqueName(nodeName ?? `${opType}_${outputNames[0]}`),
        attribute: Object.entries(attributes).map(([k, v]) => toAttributeProto(k, v)),
      }),
    );
    return outputNames;
  }

  /** Convenience for single-output nodes. */
  op(opType: string, inputs: string[], outputBase: string, attributes: Record<string, AttributeValue> = {}): string {
    return this.addNode(opType, inputs, outputBase, attributes)[0];
  }

  /** Encodes the model. `opset` is the default-domain opset version. */
  encode(options: {
    opset: number;
    graphName: string;
    producerName: string;
    producerVersion: string;
    docString?: string;
    metadata?: Record<string, string>;
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      // IR version 8 (ONNX 1.10) is what onnx-proto's schema describes; ONNX Runtime reads it.
      irVersion: 8,
      producerName: options.producerName,
      producerVersion: options.producerVersion,
      docString: options.docString ?? '',
      opsetImport: [{ domain: '', version: options.opset }],
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: onnx.GraphProto.create({
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** Number of nodes so far (for tests and diagnostics). */
  get nodeCount(): number {
    return this.nodes.length;
  }
}
