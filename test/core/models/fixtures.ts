/** Tiny generated models and a Range-capable file server for the models tests. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSaveHandler } from '../../../src-main/core/tf/file-io.js';

/**
 * A functional classifier: input [null, 8, 8, 3] → conv (4, relu) → block_1 conv (6) →
 * global pool → dense(3, softmax). Saved with `labels.txt` (red, green, blue).
 */
export async function makeLayersClassifier(dir: string, options: { softmax?: boolean; seed?: number } = {}): Promise<tf.LayersModel> {
  const seed = options.seed ?? 1;
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const conv = tf.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1', kernelInitializer: tf.initializers.glorotUniform({ seed }) })
    .apply(input) as tf.SymbolicTensor;
  const block = tf.layers
    .conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'block_1_expand', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    .apply(conv) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(block) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: 3, activation: options.softmax === false ? 'linear' : 'softmax', name: 'logits', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) })
    .apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits, name: 'tiny_classifier' });
  await model.save(fileSaveHandler(dir));
  await writeFile(path.join(dir, 'labels.txt'), 'red\ngreen\nblue\n');
  return model;
}

/**
 * Like the shared MobileNetV2: a Sequential holding a functional `backbone` (input
 * [null, 16, 16, 3], last layer `out_relu`) followed by global average pooling.
 */
export async function makeNestedFeatureModel(dir: string): Promise<tf.LayersModel> {
  const input = tf.input({ shape: [16, 16, 3], name: 'input_1' });
  const c1 = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'Conv1', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })
    .apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers
    .conv2d({ filters: 12, kernelSize: 1, name: 'Conv_1', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })
    .apply(c1) as tf.SymbolicTensor;
  const relu = tf.layers.reLU({ maxValue: 6, name: 'out_relu' }).apply(c2) as tf.SymbolicTensor;
  const backbone = tf.model({ inputs: input, outputs: relu, name: 'backbone' });
  const model = tf.sequential({ name: 'wrapper' });
  model.add(backbone);
  model.add(tf.layers.globalAveragePooling2d({ name: 'features' }));
  await model.save(fileSaveHandler(dir));
  return model;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const dims = (shape: number[]): { dim: Array<{ size: string }> } => ({ dim: shape.map((d) => ({ size: String(d) })) });
const floatConst = (name: string, shape: number[]) => ({
  name,
  op: 'Const',
  attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(shape) } }, dtype: { type: 'DT_FLOAT' } },
});

/**
 * A hand-written TF.js graph model (as tensorflowjs_converter writes them):
 * images [-1, 8, 8, 3] → net/conv/Conv2D (4, stride 2, SAME) → net/conv/Relu →
 * net/pool/Mean over [1, 2] → head/MatMul (4 → 3) → head/Softmax. Returns the weights.
 */
export async function makeGraphModel(dir: string): Promise<{ kernel: Float32Array; dense: Float32Array }> {
  await mkdir(dir, { recursive: true });
  const kernel = Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.sin(i + 1) * 0.5);
  const dense = Float32Array.from({ length: 4 * 3 }, (_, i) => Math.cos(i + 1));
  const axes = Int32Array.from([1, 2]);
  const nodes = [
    { name: 'images', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '8' }, { size: '8' }, { size: '3' }] } } } },
    floatConst('net/conv/kernel', [3, 3, 3, 4]),
    {
      name: 'net/conv/Conv2D',
      op: 'Conv2D',
      input: ['images', 'net/conv/kernel'],
      attr: {
        T: { type: 'DT_FLOAT' },
        strides: { list: { i: ['1', '2', '2', '1'] } },
        dilations: { list: { i: ['1', '1', '1', '1'] } },
        padding: { s: b64('SAME') },
        data_format: { s: b64('NHWC') },
      },
    },
    { name: 'net/conv/Relu', op: 'Relu', input: ['net/conv/Conv2D'], attr: { T: { type: 'DT_FLOAT' } } },
    { name: 'net/pool/axes', op: 'Const', attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: dims([2]) } }, dtype: { type: 'DT_INT32' } } },
    { name: 'net/pool/Mean', op: 'Mean', input: ['net/conv/Relu', 'net/pool/axes'], attr: { T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
    floatConst('head/weights', [4, 3]),
    { name: 'head/MatMul', op: 'MatMul', input: ['net/pool/Mean', 'head/weights'], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } },
    { name: 'head/Softmax', op: 'Softmax', input: ['head/MatMul'], attr: { T: { type: 'DT_FLOAT' } } },
  ];
  const json = {
    format: 'graph-model',
    generatedBy: 'retrain-studio test',
    convertedBy: 'hand-written',
    modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'net/conv/kernel', shape: [3, 3, 3, 4], dtype: 'float32' },
          { name: 'net/pool/axes', shape: [2], dtype: 'int32' },
          { name: 'head/weights', shape: [4, 3], dtype: 'float32' },
        ],
      },
    ],
  };
  const weights = Buffer.concat([Buffer.from(kernel.buffer), Buffer.from(axes.buffer), Buffer.from(dense.buffer)]);
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  await writeFile(path.join(dir, 'group1-shard1of1.bin'), weights);
  return { kernel, dense };
}

/** What the test server saw for one request. */
export type ServedRequest = { path: string; query: string; range: string | null; status: number; bytesSent: number };

export type FileServer = {
  baseUrl: string;
  requests: ServedRequest[];
  /** Next request for this path: send only the first `bytes` of the body, then drop the connection. */
  dropAfter(pathName: string, bytes: number): void;
  /** Every request for this path gets a body `delta` bytes longer or shorter (with a matching Content-Length). */
  corrupt(pathName: string, delta: number): void;
  close(): Promise<void>;
};

/**
 * Serves `routes` (URL prefix → folder) from 127.0.0.1 on a random port, with Range support
 * (206 + Content-Range; 416 past the end).
 */
export async function startFileServer(routes: Record<string, string>): Promise<FileServer> {
  const requests: ServedRequest[] = [];
  const drops = new Map<string, number>();
  const corruptions = new Map<string, number>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record: ServedRequest = { path: url.pathname, query: url.search, range: req.headers.range ?? null, status: 404, bytesSent: 0 };
    requests.push(record);
    const prefix = Object.keys(routes).find((p) => url.pathname.startsWith(`${p}/`));
    let body: Buffer;
    try {
      if (!prefix) throw new Error('no route');
      const relative = decodeURIComponent(url.pathname.slice(prefix.length + 1));
      if (relative.includes('..')) throw new Error('bad path');
      body = await readFile(path.join(routes[prefix], relative));
    } catch {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    const delta = corruptions.get(url.pathname);
    if (delta !== undefined) body = delta < 0 ? body.subarray(0, body.length + delta) : Buffer.concat([body, Buffer.alloc(delta, 7)]);
    let start = 0;
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) {
        record.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      record.status = 206;
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Accept-Ranges': 'bytes' });
    } else {
      record.status = 200;
      res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
    }
    const rest = body.subarray(start);
    const drop = drops.get(url.pathname);
    if (drop !== undefined) {
      drops.delete(url.pathname);
      const partial = rest.subarray(0, drop);
      record.bytesSent = partial.length;
      // Let the bytes reach the client before cutting the connection.
      res.write(partial, () => setTimeout(() => res.destroy(), 150));
      return;
    }
    record.bytesSent = rest.length;
    res.end(rest);
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    dropAfter: (pathName, bytes) => drops.set(pathName, bytes),
    corrupt: (pathName, delta) => corruptions.set(pathName, delta),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
