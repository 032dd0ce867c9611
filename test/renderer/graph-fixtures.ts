/** Synthetic model graphs shaped like the real ones (MobileNet blocks inside a nested model). */
import type { GraphNode, ModelGraph } from '../../src-main/api/contract.js';

/**
 * A MobileNetV2-like graph: `input_1` → stem → `blocks` inverted-residual blocks of
 * `perBlock` layers (group `model/block_N`, inside group `model`) → `out_relu` → pooling.
 * Blocks with an odd index have a residual `add` edge from their first layer.
 */
export function mobilenetLikeGraph(blocks = 16, perBlock = 8): ModelGraph {
  const nodes: GraphNode[] = [];
  const edges: ModelGraph['edges'] = [];
  const groups: ModelGraph['groups'] = [{ id: 'model', label: 'mobilenetv2_0.35_224' }];
  let size = 112;
  const add = (name: string, op: string, shape: (number | null)[], group?: string, params = 0): string => {
    const id = group ? `${group}/${name}` : name;
    nodes.push({ id, name, op, outputShape: shape, params, ...(group ? { group } : {}), attributes: { trainable: false } });
    return id;
  };
  const link = (from: string, to: string) => {
    const shape = nodes.find((n) => n.id === from)!.outputShape;
    edges.push({ from, to, shape });
  };
  let prev = add('input_1', 'InputLayer', [null, 224, 224, 3], 'model');
  for (const [name, op] of [['Conv1', 'Conv2D'], ['bn_Conv1', 'BatchNormalization'], ['Conv1_relu', 'ReLU']] as const) {
    const id = add(name, op, [null, size, size, 16], 'model', op === 'Conv2D' ? 432 : 64);
    link(prev, id);
    prev = id;
  }
  for (let b = 1; b <= blocks; b++) {
    const group = `model/block_${b}`;
    groups.push({ id: group, label: `block_${b}`, parent: 'model' });
    if (b % 4 === 0) size = Math.max(7, size / 2);
    const blockInput = prev;
    for (let l = 0; l < perBlock; l++) {
      const op = l % 3 === 0 ? 'Conv2D' : l % 3 === 1 ? 'BatchNormalization' : 'ReLU';
      const id = add(`block_${b}_layer_${l}`, op, [null, size, size, 8 * b], group, op === 'Conv2D' ? 100 * b : 32);
      link(prev, id);
      prev = id;
    }
    if (b % 2 === 1 && b > 1) {
      const sum = add(`block_${b}_add`, 'Add', [null, size, size, 8 * b], group);
      link(prev, sum);
      link(blockInput, sum);
      prev = sum;
    }
  }
  const outRelu = add('out_relu', 'ReLU', [null, 7, 7, 1280], 'model');
  link(prev, outRelu);
  const pool = add('global_average_pooling2d', 'GlobalAveragePooling2D', [null, 1280]);
  link(outRelu, pool);
  const totalParams = nodes.reduce((s, n) => s + n.params, 0);
  return {
    modelId: 'synthetic-mobilenet',
    format: 'layers',
    nodes,
    edges,
    groups,
    input: { name: 'input_1', shape: [null, 224, 224, 3], dtype: 'float32', normalization: '[-1, 1] (pixel / 127.5 - 1)', crop: 'centre crop to square, resize to 224×224' },
    bottleneck: { name: 'out_relu', shape: [null, 7, 7, 1280] },
    output: { name: 'global_average_pooling2d', shape: [null, 1280] },
    totalParams,
  };
}

/** A flat chain of `count` nodes with slash-scoped names (`scope_i/op_j`), no groups. */
export function scopedChainGraph(count: number, perScope = 10): ModelGraph {
  const nodes: GraphNode[] = [];
  const edges: ModelGraph['edges'] = [];
  for (let i = 0; i < count; i++) {
    const id = `net/scope_${Math.floor(i / perScope)}/op_${i}`;
    nodes.push({ id, name: id, op: i % 2 ? 'Relu' : 'Conv2D', outputShape: [1, 10], params: 0, attributes: {} });
    if (i > 0) edges.push({ from: nodes[i - 1].id, to: id, shape: [1, 10] });
  }
  return {
    modelId: 'chain', format: 'graph', nodes, edges, groups: [],
    input: { name: nodes[0].id, shape: [1, 10], dtype: 'float32', normalization: '[0, 1]', crop: 'squash' },
    bottleneck: { name: nodes[Math.floor(count / 2)].id, shape: [1, 10] },
    output: { name: nodes[count - 1].id, shape: [1, 10] },
    totalParams: 0,
  };
}
