import { describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf.js';
import { createRandom } from '../../../src-main/core/random.js';
import { resolveConfig, trainHead, DEFAULT_CONFIG, HYPERPARAMETERS, type SplitFeatures } from '../../../src-main/core/training/index.js';
import { CoreError } from '../../../src-main/core/errors.js';

/** Gaussian clusters, one per class, in `featureSize` dimensions: a real, separable problem. */
function clusters(countPerClass: number, classCount: number, featureSize: number, seed: number, spread = 0.6): SplitFeatures {
  // Centres depend only on the problem's shape, so splits made with other seeds share them.
  const centreRandom = createRandom(classCount * 1000 + featureSize);
  const centres = Array.from({ length: classCount }, () => Array.from({ length: featureSize }, () => centreRandom() * 2 - 1));
  const random = createRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const count = countPerClass * classCount;
  const features = new Float32Array(count * featureSize);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = i % classCount;
    labels[i] = c;
    for (let f = 0; f < featureSize; f++) features[i * featureSize + f] = centres[c][f] + spread * gaussian() / Math.sqrt(featureSize) * 4;
  }
  return { features, labels, count };
}

describe('trainHead', () => {
  it('learns separable classes and reports retrain.py-style metrics at every eval step', async () => {
    const tf = await useWasm();
    const before = tf.memory().numTensors;
    const config = resolveConfig({ howManyTrainingSteps: 300, learningRate: 0.5, evalStepInterval: 50, trainBatchSize: 32, validationBatchSize: -1 });
    const seen: number[] = [];
    const result = await trainHead({ config, featureSize: 16, classCount: 3, train: clusters(40, 3, 16, 1), validation: clusters(10, 3, 16, 2), onMetrics: (p) => seen.push(p.step) });
    expect(seen).toEqual([50, 100, 150, 200, 250, 300]);
    const last = result.metrics.at(-1)!;
    expect(last.validationAccuracy).toBeGreaterThan(0.9);
    expect(last.trainCrossEntropy).toBeLessThan(result.metrics[0].trainCrossEntropy);
    // The head is an image-features → probabilities model named as retrain.py named it.
    expect(result.head.outputs[0].shape).toEqual([null, 3]);
    expect(result.head.layers.at(-1)!.name).toBe('final_result');
    result.head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic for a seed and differs for another seed', async () => {
    await useWasm();
    const run = async (seed: number) => {
      const config = resolveConfig({ howManyTrainingSteps: 60, evalStepInterval: 20, trainBatchSize: 10, validationBatchSize: 5, seed, hiddenUnits: 8, classBalanced: true });
      const r = await trainHead({ config, featureSize: 8, classCount: 2, train: clusters(20, 2, 8, 3, 2), validation: clusters(5, 2, 8, 4, 2) });
      r.head.dispose();
      return r.metrics.map(({ wallTimeMs: _w, relativeTimeMs: _r, ...m }) => m);
    };
    expect(await run(7)).toEqual(await run(7));
    expect(await run(7)).not.toEqual(await run(8));
  });

  it('trains with Adam and with a hidden layer', async () => {
    await useWasm();
    const config = resolveConfig({ howManyTrainingSteps: 200, optimizer: 'adam', learningRate: 0.01, hiddenUnits: 16, evalStepInterval: 200, validationBatchSize: -1 });
    const r = await trainHead({ config, featureSize: 16, classCount: 4, train: clusters(30, 4, 16, 5), validation: clusters(10, 4, 16, 6) });
    expect(r.metrics).toHaveLength(1);
    expect(r.metrics[0].validationAccuracy).toBeGreaterThan(0.9);
    expect(r.head.layers.map((l) => l.name)).toEqual(['hidden', 'final_training_ops', 'final_result']);
    r.head.dispose();
  });

  it('stops with CANCELLED and leaks nothing', async () => {
    const tf = await useWasm();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const config = resolveConfig({ howManyTrainingSteps: 1_000_000, evalStepInterval: 1000 });
    const promise = trainHead({ config, featureSize: 8, classCount: 2, train: clusters(10, 2, 8, 1), validation: clusters(2, 2, 8, 1), signal: controller.signal, onStep: (step) => step > 50 && controller.abort(), progressIntervalMs: 0 });
    await expect(promise).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('hyperparameters', () => {
  it('has retrain.py defaults', () => {
    expect(DEFAULT_CONFIG).toMatchObject({ howManyTrainingSteps: 4000, learningRate: 0.01, trainBatchSize: 100, validationBatchSize: 100, testBatchSize: -1, evalStepInterval: 10, testingPercentage: 10, validationPercentage: 10, optimizer: 'sgd', flipLeftRight: false });
    expect(HYPERPARAMETERS.map((h) => h.flag)).toContain('how_many_training_steps');
  });

  it.each([
    [{ learningRate: -1 }, /--learning_rate: must be ≥/],
    [{ trainBatchSize: 1.5 }, /--train_batch_size: must be a whole number/],
    [{ validationBatchSize: 0 }, /--validation_batch_size: must be -1/],
    [{ optimizer: 'rmsprop' as never }, /--optimizer: must be one of sgd, adam/],
    [{ testingPercentage: 60, validationPercentage: 40 }, /must leave images for training/],
    [{ bogus: 1 } as never, /Unknown hyperparameter "bogus"/],
  ])('rejects %j', (partial, message) => {
    expect(() => resolveConfig(partial)).toThrow(CoreError);
    expect(() => resolveConfig(partial)).toThrow(message);
  });
});
