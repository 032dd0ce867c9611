import { describe, expect, it } from 'vitest';
import type { HyperparameterSpec, RunDetail, RunSummary, TrainingConfig } from '../../src-main/api/contract.js';
import { compareRows, keyHyperparameters } from '../../src-renderer/components/runs/compare.js';
import { parseSweepValues } from '../../src-renderer/components/runs/sweep.js';

const baseConfig: TrainingConfig = {
  architecture: 'mobilenet_v2_0.35_224', howManyTrainingSteps: 500, learningRate: 0.01, optimizer: 'sgd', trainBatchSize: 100,
  validationBatchSize: 100, testBatchSize: -1, evalStepInterval: 10, testingPercentage: 10, validationPercentage: 10,
  flipLeftRight: false, randomCrop: 0, randomScale: 0, randomBrightness: 0, hiddenUnits: 0, classBalanced: false, seed: 1,
  classWeights: 'none',
};

function run(id: string, patch: Partial<RunSummary> = {}, config: Partial<TrainingConfig> = {}): RunSummary {
  return {
    id, name: `run ${id}`, createdAt: '2026-01-02T03:04:05.000Z', status: 'completed', datasetRoot: '/data/flower_photos', modelId: 'mobilenet_v2_0.35_224',
    config: { ...baseConfig, ...config }, classes: ['daisy', 'roses'], backend: 'wasm', featureEngine: 'onnxruntime-cpu', device: 'Zen 5',
    phases: { modelLoadMs: 300, bottlenecksMs: 12_000, bottlenecksComputed: 200, bottlenecksFromCache: 0, trainingMs: 4000, evaluationMs: 200, saveMs: 100 },
    durationMs: 17_000, testAccuracy: 0.8, ...patch,
  };
}

const specs: HyperparameterSpec[] = [
  { key: 'learningRate', flag: 'learning_rate', type: 'number', default: 0.01, min: 0, help: 'How large a learning rate to use when training.' },
  { key: 'howManyTrainingSteps', flag: 'how_many_training_steps', type: 'integer', default: 4000, min: 1, max: 100000, help: 'Steps.' },
  { key: 'optimizer', flag: 'optimizer', type: 'string', default: 'sgd', choices: ['sgd', 'adam'], help: 'Optimizer.' },
  { key: 'architecture', flag: 'architecture', type: 'string', default: 'mobilenet', help: 'Model.' },
];

describe('compareRows', () => {
  const a = run('a', { testAccuracy: 0.8 }, { learningRate: 0.01 });
  const b = run('b', { testAccuracy: 0.9, durationMs: 9000, phases: { bottlenecksMs: 500, bottlenecksComputed: 0, bottlenecksFromCache: 200, trainingMs: 4100 } }, { learningRate: 0.1 });
  const details: Record<string, RunDetail> = {
    a: { ...a, metrics: [
      { step: 0, wallTimeMs: 0, relativeTimeMs: 0, trainAccuracy: 0.3, trainCrossEntropy: 1.5, validationAccuracy: 0.25, validationCrossEntropy: 1.6 },
      { step: 10, wallTimeMs: 1, relativeTimeMs: 1, trainAccuracy: 0.75, trainCrossEntropy: 0.5, validationAccuracy: Number.NaN, validationCrossEntropy: Number.NaN },
    ] },
  };
  const rows = compareRows([a, b], details, specs);
  const row = (key: string) => rows.find((r) => r.key === key)!;

  it('labels hyperparameters with retrain.py flags in spec order and marks differences', () => {
    const hyper = rows.filter((r) => r.section === 'Hyperparameters');
    expect(hyper.slice(0, 3).map((r) => r.label)).toEqual(['learning_rate', 'how_many_training_steps', 'optimizer']);
    expect(hyper.some((r) => r.key === 'config.architecture')).toBe(false);
    expect(row('config.learningRate')).toMatchObject({ cells: ['0.01', '0.1'], differs: true });
    expect(row('config.optimizer')).toMatchObject({ cells: ['sgd', 'sgd'], differs: false });
    // Keys without a spec still appear (humanised).
    expect(row('config.flipLeftRight')).toMatchObject({ label: 'Flip left right', cells: ['off', 'off'] });
  });

  it('formats results and marks the best run; uses the last finite metric point', () => {
    expect(row('testAccuracy')).toMatchObject({ cells: ['80.0%', '90.0%'], best: 1 });
    expect(row('trainAccuracy')).toMatchObject({ cells: ['75.0%', '—'], best: null });
    expect(row('validationAccuracy').cells).toEqual(['25.0%', '—']);
    expect(row('durationMs')).toMatchObject({ cells: ['17.0 s', '9.0 s'], best: 1 });
    expect(row('bottlenecksMs').best).toBe(1);
    expect(row('bottleneckCounts').cells).toEqual(['200 / 0', '0 / 200']);
    expect(row('modelLoadMs').cells).toEqual(['300 ms', '—']);
    expect(row('featureEngine')).toMatchObject({ cells: ['onnxruntime-cpu', 'onnxruntime-cpu'], differs: false });
    expect(row('dataset').cells).toEqual(['flower_photos', 'flower_photos']);
    expect(row('architecture').cells).toEqual(['mobilenet_v2_0.35_224', 'mobilenet_v2_0.35_224']);
    const named = compareRows([a], {}, specs, (id) => (id === 'mobilenet_v2_0.35_224' ? 'MobileNet V2 0.35' : id));
    expect(named.find((r) => r.key === 'architecture')!.cells).toEqual(['MobileNet V2 0.35']);
  });

  it('has no best among equal values and adds the sweep row only for sweep runs', () => {
    const same = compareRows([run('x'), run('y')], {}, specs);
    expect(same.find((r) => r.key === 'testAccuracy')!.best).toBeNull();
    expect(same.some((r) => r.key === 'sweepId')).toBe(false);
    const swept = compareRows([run('x', { sweepId: 'sweep-1' }), run('y')], {}, specs);
    expect(swept.find((r) => r.key === 'sweepId')!.cells).toEqual(['sweep-1', '—']);
  });

  it('summarises key hyperparameters for the runs table', () => {
    expect(keyHyperparameters(baseConfig)).toBe('lr 0.01 · 500 steps · batch 100 · sgd');
    expect(keyHyperparameters({ ...baseConfig, optimizer: 'adam', hiddenUnits: 64 })).toBe('lr 0.01 · 500 steps · batch 100 · adam · hidden 64');
    expect(keyHyperparameters(undefined)).toBe('—');
  });
});

describe('parseSweepValues', () => {
  it('parses numbers separated by commas, spaces or semicolons and drops duplicates', () => {
    expect(parseSweepValues('learningRate', '0.005, 0.01 0.1;1.0, 0.01', specs[0])).toEqual({ values: [0.005, 0.01, 0.1, 1], error: null });
  });

  it('checks integers, bounds and choices', () => {
    expect(parseSweepValues('howManyTrainingSteps', '100, 250.5', specs[1]).error).toMatch(/whole number/);
    expect(parseSweepValues('howManyTrainingSteps', '0, 100', specs[1]).error).toMatch(/minimum 1/);
    expect(parseSweepValues('howManyTrainingSteps', '100, 200000', specs[1]).error).toMatch(/maximum 100000/);
    expect(parseSweepValues('optimizer', 'SGD, adam', specs[2])).toEqual({ values: ['sgd', 'adam'], error: null });
    expect(parseSweepValues('optimizer', 'sgd, rmsprop', specs[2]).error).toMatch(/rmsprop.*not one of sgd, adam/);
    expect(parseSweepValues('learningRate', '0.1, abc').error).toMatch(/not a number/);
    expect(parseSweepValues('learningRate', '0, 0.1').error).toMatch(/above 0/);
    expect(parseSweepValues('seed', '1, 2, 3')).toEqual({ values: [1, 2, 3], error: null });
  });

  it('needs two to sixteen values', () => {
    expect(parseSweepValues('learningRate', '0.1').error).toMatch(/at least two/);
    expect(parseSweepValues('learningRate', '0.1, 0.1').error).toMatch(/at least two/);
    const many = Array.from({ length: 17 }, (_, i) => (i + 1) / 100).join(',');
    expect(parseSweepValues('learningRate', many).error).toMatch(/At most 16/);
  });
});
