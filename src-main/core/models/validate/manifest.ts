/** The weights manifest: well-formed specs and a total size a TF.js model can hold. */
import type * as tf from '@tensorflow/tfjs';
import { MODEL_WEIGHTS_MAX_BYTES, type ModelJson } from '../../tf/file-io.js';
import { elementCount, weightByteLength } from '../weights.js';
import { invalid, isObject } from './report.js';

const DTYPES = new Set(['float32', 'int32', 'bool', 'complex64', 'string', 'uint8', 'uint16', 'float16']);
const QUANTIZED_DTYPES = new Set(['uint8', 'uint16', 'float16']);

/** Checks the manifest's structure and total size. @throws CoreError MODEL_INVALID */
export function validateManifest(dir: string, json: ModelJson): void {
  let totalBytes = 0;
  let largest: { name: string; shape: number[]; bytes: number } | null = null;
  json.weightsManifest.forEach((group, g) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw invalid(dir, `weightsManifest[${g}] must be an object with "paths" and "weights" lists.`);
    }
    if (group.weights.length > 0 && group.paths.length === 0) throw invalid(dir, `weightsManifest[${g}] lists weights but no weight files ("paths" is empty).`);
    for (const shard of group.paths) {
      if (typeof shard !== 'string' || shard.length === 0) throw invalid(dir, `weightsManifest[${g}].paths holds ${JSON.stringify(shard)?.slice(0, 40)}, not a file name.`);
    }
    for (const spec of group.weights as unknown[]) {
      if (!isObject(spec) || typeof spec.name !== 'string') throw invalid(dir, `weightsManifest[${g}] has a weight without a name.`);
      const { name, shape, dtype } = spec;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw invalid(dir, `weight "${name}" has shape ${JSON.stringify(shape)?.slice(0, 60)}; a shape is a list of whole numbers ≥ 0.`, { weight: name });
      }
      if (typeof dtype !== 'string' || !DTYPES.has(dtype)) throw invalid(dir, `weight "${name}" has dtype ${JSON.stringify(dtype)?.slice(0, 30)}, which TF.js does not know.`, { weight: name });
      const quantization = spec.quantization;
      if (quantization !== undefined && (!isObject(quantization) || !QUANTIZED_DTYPES.has(String(quantization.dtype)))) {
        throw invalid(dir, `weight "${name}" has a quantization TF.js does not know (dtype ${JSON.stringify(isObject(quantization) ? quantization.dtype : quantization)?.slice(0, 30)}).`, { weight: name });
      }
      const bytes = weightByteLength(spec as unknown as tf.io.WeightsManifestEntry) ?? 0;
      totalBytes += bytes;
      if (!largest || bytes > largest.bytes) largest = { name, shape: shape as number[], bytes };
    }
  });
  if (totalBytes > MODEL_WEIGHTS_MAX_BYTES && largest) {
    const big = largest as { name: string; shape: number[]; bytes: number };
    throw invalid(
      dir,
      `the weights manifest declares ${totalBytes} bytes of weights (the largest, "${big.name}", has shape ${JSON.stringify(big.shape)}: ` +
        `${elementCount(big.shape)} values), more than a TF.js model can hold (${MODEL_WEIGHTS_MAX_BYTES} bytes).`,
      { weight: big.name, declaredBytes: totalBytes },
    );
  }
}
