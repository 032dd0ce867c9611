/** Small hand-written TF.js graph models (as the tfjs-converter writes them), for op-by-op ONNX tests. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from './helpers.js';

type Attr = Record<string, unknown>;
export type FixtureNode = { name: string; op: string; input?: string[]; attr?: Attr };
type Quantization = { dtype: 'uint8' | 'uint16' };

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const dims = (shape: number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });

/** Attribute helpers in GraphDef JSON form. */
export const a = {
  s: (text: string) => ({ s: b64(text) }),
  ints: (values: number[]) => ({ list: { i: values.map(String) } }),
  strings: (values: string[]) => ({ list: { s: values.map(b64) } }),
  b: (value: boolean) => ({ b: value }),
  f: (value: number) => ({ f: value }),
  float: { T: { type: 'DT_FLOAT' } },
};

/** Builds a graph: nodes plus constants (float32, optionally stored quantized, or int32). */
export class GraphFixture {
  readonly nodes: FixtureNode[] = [];
  private readonly weights: Array<{ name: string; shape: number[]; dtype: string; bytes: Buffer; quantization?: object }> = [];
  private seed = 1;

  constructor(inputShape: number[]) {
    this.nodes.push({ name: 'input', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dims(inputShape.map((d, i) => (i === 0 ? -1 : d))) } } });
  }

  node(name: string, op: string, input: string[], attr: Attr = {}): string {
    this.nodes.push({ name, op, input, attr: { ...a.float, ...attr } });
    return name;
  }

  /** Seeded random float constant in [min, max); stored as uint8/uint16 with min/scale when `quantization` is given. */
  floats(name: string, shape: number[], options: { min?: number; max?: number; quantization?: Quantization } = {}): string {
    const size = shape.reduce((x, y) => x * y, 1);
    const random = seededRandom(this.seed++);
    const min = options.min ?? -0.8;
    const max = options.max ?? 0.8;
    this.nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(shape) } }, dtype: { type: 'DT_FLOAT' } } });
    if (options.quantization) {
      const levels = options.quantization.dtype === 'uint8' ? 255 : 65535;
      const scale = (max - min) / levels;
      const q = options.quantization.dtype === 'uint8' ? new Uint8Array(size) : new Uint16Array(size);
      for (let i = 0; i < size; i++) q[i] = Math.round(random() * levels);
      this.weights.push({ name, shape, dtype: 'float32', bytes: Buffer.from(q.buffer), quantization: { dtype: options.quantization.dtype, min, scale } });
    } else {
      const data = Float32Array.from({ length: size }, () => min + (max - min) * random());
      this.weights.push({ name, shape, dtype: 'float32', bytes: Buffer.from(data.buffer) });
    }
    return name;
  }

  ints(name: string, values: number[], shape = [values.length]): string {
    this.nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: dims(shape) } }, dtype: { type: 'DT_INT32' } } });
    this.weights.push({ name, shape, dtype: 'int32', bytes: Buffer.from(Int32Array.from(values).buffer) });
    return name;
  }

  async write(dir: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    const json = {
      format: 'graph-model',
      generatedBy: 'retrain-studio test',
      convertedBy: 'hand-written',
      modelTopology: { node: this.nodes, library: {}, versions: { producer: 1 } },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: this.weights.map(({ bytes: _bytes, ...spec }) => spec) }],
    };
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    await writeFile(path.join(dir, 'group1-shard1of1.bin'), Buffer.concat(this.weights.map((w) => w.bytes)));
    return dir;
  }
}
