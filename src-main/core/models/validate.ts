/**
 * Validation of a model folder before anything is built from it, so a hostile or broken
 * model is refused at import with MODEL_INVALID naming what is wrong, instead of failing
 * later (at training or classify) as INTERNAL. Checks, in order:
 *   1. the weights manifest: well-formed specs, a size a TF.js model can hold;
 *   2. the topology: every layer class / graph op known to TF.js, every referenced node
 *      present, names unique, no cycles;
 *   3. the shard files: inside the folder, regular, and exactly the bytes the specs need;
 *   4. (after parsing) shapes: each layer's weights as its config and input need, graph ops'
 *      operands consistent with their weights.
 * JSON depth is checked where model.json is parsed (core/tf readModelJson).
 */
export { validateManifest } from './validate/manifest.js';
export { validateShapes } from './validate/shapes.js';
export { validateShardFiles } from './validate/shards.js';
export { validateTopology, type RawLayers } from './validate/topology.js';
