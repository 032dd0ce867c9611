/**
 * Flattens a TF.js layers model (functional, Sequential, or models nested inside each
 * other) into a list of layer applications in topological order. Nested models are
 * inlined, so the converter and the cache fingerprint only ever see leaf layers.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';

/** A Keras shape including the batch dimension; `null` is unknown. */
export type KerasShape = (number | null)[];

/** One tensor flowing through the flattened graph. */
export type PlanValue = { key: number; shape: KerasShape };

/** One application of a leaf layer. */
export type PlanStep = { layer: tf.layers.Layer; inputs: PlanValue[]; outputs: PlanValue[] };

export type GraphPlan = { inputs: PlanValue[]; outputs: PlanValue[]; steps: PlanStep[] };

// The public tfjs typings hide the graph structure (nodes, symbolic tensors); these are
// the fields the runtime objects have (tfjs-layers engine/topology.ts).
type SymbolicTensorLike = {
  id: number;
  shape: KerasShape;
  sourceLayer: LayerLike;
  nodeIndex: number;
  tensorIndex: number;
};
type NodeLike = { inputTensors: SymbolicTensorLike[]; outputTensors: SymbolicTensorLike[] };
type LayerLike = tf.layers.Layer & { inboundNodes: NodeLike[] };
type ContainerLike = tf.LayersModel & { inputs: SymbolicTensorLike[]; outputs: SymbolicTensorLike[] };

function isContainer(layer: tf.layers.Layer): layer is ContainerLike {
  return layer instanceof tf.LayersModel;
}

/**
 * Flattens `models` applied one after another (the outputs of each feed the inputs of the
 * next, e.g. a backbone then a classifier head) into leaf-layer steps.
 * Throws MODEL_INVALID when the models cannot be chained.
 */
export function planModels(models: tf.LayersModel[]): GraphPlan {
  if (models.length === 0) throw new Error('planModels needs at least one model.');
  let nextKey = 0;
  const steps: PlanStep[] = [];
  const newValue = (shape: KerasShape): PlanValue => ({ key: nextKey++, shape: [...shape] });

  const first = models[0] as ContainerLike;
  const inputs = first.inputs.map((t) => newValue(t.shape));

  const planContainer = (container: ContainerLike, inputValues: PlanValue[]): PlanValue[] => {
    if (container.inputs.length !== inputValues.length) {
      throw new CoreError(
        'MODEL_INVALID',
        `Model '${container.name}' takes ${container.inputs.length} inputs but is given ${inputValues.length}.`,
      );
    }
    const resolved = new Map<number, PlanValue>();
    container.inputs.forEach((t, i) => resolved.set(t.id, inputValues[i]));

    // Iterative post-order walk from the outputs: a node is emitted once all its inputs are.
    const stack: SymbolicTensorLike[] = [...container.outputs].reverse();
    while (stack.length > 0) {
      const tensor = stack[stack.length - 1];
      if (resolved.has(tensor.id)) {
        stack.pop();
        continue;
      }
      const layer = tensor.sourceLayer;
      const node = layer.inboundNodes[tensor.nodeIndex];
      if (!node || node.inputTensors.length === 0) {
        throw new CoreError(
          'MODEL_INVALID',
          `Model '${container.name}' uses tensor '${layer.name}' that is not one of its inputs; the model graph is disconnected.`,
        );
      }
      const missing = node.inputTensors.filter((t) => !resolved.has(t.id));
      if (missing.length > 0) {
        stack.push(...[...missing].reverse());
        continue;
      }
      stack.pop();
      const nodeInputs = node.inputTensors.map((t) => resolved.get(t.id) as PlanValue);
      let nodeOutputs: PlanValue[];
      if (isContainer(layer)) {
        nodeOutputs = planContainer(layer, nodeInputs);
      } else {
        nodeOutputs = node.outputTensors.map((t) => newValue(t.shape));
        steps.push({ layer, inputs: nodeInputs, outputs: nodeOutputs });
      }
      node.outputTensors.forEach((t, i) => resolved.set(t.id, nodeOutputs[i]));
    }
    return container.outputs.map((t) => resolved.get(t.id) as PlanValue);
  };

  let current = inputs;
  for (const model of models) current = planContainer(model as ContainerLike, current);
  return { inputs, outputs: current, steps };
}

function stableConfig(layer: tf.layers.Layer): string {
  const config = { ...layer.getConfig() } as Record<string, unknown>;
  delete config.name;
  delete config.trainable;
  return JSON.stringify(config);
}

/**
 * A hex SHA-256 of everything that determines the converted graph: the converter version
 * and options, each step's layer class, configuration (names excluded, so auto-numbered
 * layer names do not matter), wiring and weight values. Two models with equal
 * fingerprints convert to equivalent ONNX graphs.
 */
export function fingerprintPlan(plan: GraphPlan, salt: string): string {
  const hash = createHash('sha256');
  hash.update(salt);
  hash.update(JSON.stringify(plan.inputs));
  for (const step of plan.steps) {
    hash.update(
      JSON.stringify({
        c: step.layer.getClassName(),
        config: stableConfig(step.layer),
        in: step.inputs.map((v) => v.key),
        out: step.outputs,
      }),
    );
    // getWeights() returns the variables themselves: nothing to dispose.
    for (const w of step.layer.getWeights()) {
      hash.update(JSON.stringify(w.shape));
      const data = w.dataSync() as Float32Array;
      hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }
  hash.update(JSON.stringify(plan.outputs.map((v) => v.key)));
  return hash.digest('hex');
}
