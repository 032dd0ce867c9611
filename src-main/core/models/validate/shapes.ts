/** Shapes after parsing: each layer's weights as its config and input need; graph operands consistent with their weights. */
import type { ModelJson } from '../../tf/file-io.js';
import type { ModelTopology, Shape, TopologyNode } from '../topology.js';
import { pair } from '../topology/shape-rules.js';
import type { CoreError } from '../../errors.js';
import { invalid } from './report.js';
import type { RawLayers } from './topology.js';

type WeightRule = (config: Record<string, unknown>, input: Shape) => Record<string, Shape>;
const bias = (config: Record<string, unknown>, size: number | null): Record<string, Shape> => (config.use_bias === false ? {} : { bias: [size] });

/** The weights a layer needs, by suffix (`kernel`, `bias`…), for the layer classes whose weights are fixed by config and input. */
const LAYER_WEIGHTS: Record<string, WeightRule> = {
  Dense: (c, input) => ({ kernel: [input[input.length - 1] ?? null, Number(c.units)], ...bias(c, Number(c.units)) }),
  Conv2D: (c, input) => {
    // A grouped convolution's kernel sees channels / groups inputs.
    const groups = Number(c.groups ?? 1) || 1;
    const channels = input[3] ?? null;
    return { kernel: [...pair(c.kernel_size, 1), channels === null ? null : channels / groups, Number(c.filters)], ...bias(c, Number(c.filters)) };
  },
  Conv2DTranspose: (c, input) => ({ kernel: [...pair(c.kernel_size, 1), Number(c.filters), input[3] ?? null], ...bias(c, Number(c.filters)) }),
  DepthwiseConv2D: (c, input) => {
    const multiplier = Number(c.depth_multiplier ?? 1);
    const channels = input[3] ?? null;
    return { depthwise_kernel: [...pair(c.kernel_size, 1), channels, multiplier], ...bias(c, channels === null ? null : channels * multiplier) };
  },
  SeparableConv2D: (c, input) => {
    const multiplier = Number(c.depth_multiplier ?? 1);
    const channels = input[3] ?? null;
    return {
      depthwise_kernel: [...pair(c.kernel_size, 1), channels, multiplier],
      pointwise_kernel: [1, 1, channels === null ? null : channels * multiplier, Number(c.filters)],
      ...bias(c, Number(c.filters)),
    };
  },
  BatchNormalization: (c, input) => {
    const axis = Number(Array.isArray(c.axis) ? c.axis[0] : (c.axis ?? -1));
    const size = input[(axis + input.length) % input.length] ?? null;
    return {
      ...(c.scale === false ? {} : { gamma: [size] }),
      ...(c.center === false ? {} : { beta: [size] }),
      moving_mean: [size],
      moving_variance: [size],
    };
  },
};

const sameShape = (actual: readonly number[], expected: Shape): boolean =>
  actual.length === expected.length && expected.every((d, i) => d === null || !Number.isFinite(d) || d === actual[i]);
const shapeText = (shape: Shape): string => JSON.stringify(shape).replace(/null/g, '?');

function validateLayerWeights(dir: string, json: ModelJson, topology: ModelTopology, raw: RawLayers): void {
  // Weights are named `<layer>/<weight>` (nested models may prefix more scopes).
  const byLayer = new Map<string, Map<string, number[]>>();
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const parts = w.name.replace(/:\d+$/, '').split('/');
    if (parts.length < 2) continue;
    const layer = parts[parts.length - 2];
    if (!byLayer.has(layer)) byLayer.set(layer, new Map());
    byLayer.get(layer)!.set(parts[parts.length - 1], w.shape);
  }
  const layerCount = new Map<string, number>();
  for (const node of topology.nodes) layerCount.set(node.name, (layerCount.get(node.name) ?? 0) + 1);
  for (const node of topology.nodes) {
    const layer = raw.get(node.id);
    const rule = layer && LAYER_WEIGHTS[layer.className];
    // Two layers of one name (in different nested models) share weight names: skip, it is ambiguous.
    if (!layer || !rule || layerCount.get(node.name) !== 1 || layer.config.data_format === 'channels_first') continue;
    const input = node.inputs.length === 1 ? topology.byId.get(node.inputs[0])?.outputShape : null;
    if (!input) continue;
    const have = byLayer.get(node.name) ?? new Map<string, number[]>();
    for (const [suffix, expected] of Object.entries(rule(layer.config, input))) {
      const actual = have.get(suffix);
      if (!actual) {
        throw invalid(dir, `layer "${node.id}" (${layer.className}) needs a weight "${node.name}/${suffix}" of shape ${shapeText(expected)}, which the weights manifest lacks.`, {
          layer: node.id,
          weight: `${node.name}/${suffix}`,
        });
      }
      if (!sameShape(actual, expected)) {
        throw invalid(
          dir,
          `weight "${node.name}/${suffix}" has shape ${JSON.stringify(actual)} in the weights manifest, but layer "${node.id}" (${layer.className}) ` +
            `with input ${shapeText(input)} needs ${shapeText(expected)}.`,
          { layer: node.id, weight: `${node.name}/${suffix}`, shape: actual, expectedShape: expected },
        );
      }
    }
  }
}

function validateGraphShapes(dir: string, topology: ModelTopology): void {
  const shapeOf = (id: string | undefined): Shape | null => (id ? (topology.byId.get(id)?.outputShape ?? null) : null);
  const mismatch = (node: TopologyNode, what: string): CoreError =>
    invalid(dir, `graph node "${node.id}" (${node.op}): ${what}.`, { node: node.id });
  const known = (...dims: Array<number | null | undefined>): boolean => dims.every((d) => typeof d === 'number');
  for (const node of topology.nodes) {
    const [x, w, b] = [shapeOf(node.inputs[0]), shapeOf(node.inputs[1]), shapeOf(node.inputs[2])];
    if (!x || !w) continue;
    const fused = String(node.attributes.fused_ops ?? '').split(',');
    if (['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'].includes(node.op)) {
      if (x.length === 4 && w.length === 4 && known(x[3], w[2]) && x[3] !== w[2]) {
        throw mismatch(node, `its input has ${x[3]} channels but its filter "${node.inputs[1]}" has shape ${JSON.stringify(w)} (expects ${w[2]} input channels)`);
      }
      const out = node.op.includes('Depthwise') ? (known(w[2], w[3]) ? (w[2] as number) * (w[3] as number) : null) : w[3];
      if (fused.includes('BiasAdd') && b && b.length === 1 && known(b[0], out) && b[0] !== out) {
        throw mismatch(node, `its bias "${node.inputs[2]}" has ${b[0]} values for ${out} output channels`);
      }
    }
    if (['MatMul', '_FusedMatMul'].includes(node.op) && x.length === 2 && w.length === 2) {
      const inner = node.attributes.transpose_a === true ? x[0] : x[1];
      const rows = node.attributes.transpose_b === true ? w[1] : w[0];
      if (known(inner, rows) && inner !== rows) {
        throw mismatch(node, `its input has ${inner} features but its weights "${node.inputs[1]}" have shape ${JSON.stringify(w)} (expect ${rows})`);
      }
      const cols = node.attributes.transpose_b === true ? w[0] : w[1];
      if (fused.includes('BiasAdd') && b && b.length === 1 && known(b[0], cols) && b[0] !== cols) {
        throw mismatch(node, `its bias "${node.inputs[2]}" has ${b[0]} values for ${cols} outputs`);
      }
    }
    if (node.op === 'BiasAdd' && w.length === 1 && known(w[0], x[x.length - 1]) && w[0] !== x[x.length - 1]) {
      throw mismatch(node, `its bias "${node.inputs[1]}" has ${w[0]} values for ${x[x.length - 1]} channels`);
    }
  }
}

/** Checks shapes of a parsed topology against the weights manifest. @throws CoreError MODEL_INVALID */
export function validateShapes(dir: string, json: ModelJson, topology: ModelTopology, raw: RawLayers): void {
  if (topology.format === 'graph') validateGraphShapes(dir, topology);
  else validateLayerWeights(dir, json, topology, raw);
}
