/**
 * `retrain-studio audit`: data health of a dataset on its bottlenecks — mislabel suspects,
 * near-duplicates and leakage, outliers, class balance. Runs in-process on core (the
 * contract has no audit request yet), with the same dataset scan, model store and
 * bottleneck cache as `retrain`, so features a run computed are reused, and the reverse.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../core/errors.js';
import { defaultDataDir } from '../core/paths.js';
import { scanDataset } from '../core/dataset/index.js';
import { computeBottlenecks, createBottleneckCache } from '../core/bottlenecks/index.js';
import { selectEngine } from '../core/engine/index.js';
import { createModelStore, loadFeatureExtractor } from '../core/models/index.js';
import { DEFAULT_DUPLICATE_THRESHOLD, DEFAULT_FOLDS, healthInputFromDataset, runHealthChecks, type HealthReport } from '../core/health/index.js';
import { HYPERPARAMETERS } from '../core/training/index.js';
import { inputRange, parseFlags } from './flags.js';
import type { Output } from './output.js';
import { createService } from '../api/service.js';
import { BACKEND_CHOICES, checkRequest, send } from './requests.js';

const HELP = `Usage: retrain-studio audit --image_dir DIR (--architecture ID | --model_dir DIR) [flags]
  --image_dir DIR              folder with one sub-folder of images per class (required)
  --architecture ID            a downloaded catalog model (default ${String(HYPERPARAMETERS.find((h) => h.key === 'architecture')?.default)})
  --model_dir DIR              a local TF.js model instead (with --bottleneck_node, --input_range MIN,MAX)
  --bottleneck_dir DIR         bottleneck cache folder (default <data_dir>/bottlenecks, shared with retrain)
  --output_json FILE           write the full report as JSON
  --folds K                    folds of the mislabel heads (default ${DEFAULT_FOLDS})
  --seed N                     seed of the folds and heads (default 0)
  --duplicate_threshold C      cosine similarity for near-duplicates (default ${DEFAULT_DUPLICATE_THRESHOLD}, calibrated on MobileNetV2 features)
  --validation_percentage P, --testing_percentage P   the split, as retrain (default 10, 10)
  --top N                      rows printed per section (default 10; the JSON has all)
  --data_dir DIR, --backend ${BACKEND_CHOICES.join('|')}`;

const text = { type: 'string' } as const;

function numberFlag(flags: Record<string, unknown>, name: string, check: (n: number) => boolean, what: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || !check(n)) throw new CoreError('INVALID_ARGUMENT', `--${name} must be ${what} (got "${String(value)}").`);
  return n;
}

/** The JSON written by --output_json: issue 12's shape, plus balance and settings. */
export function auditJson(report: HealthReport): unknown {
  return {
    images: report.images,
    suspects: report.suspects.map(({ path: p, label, suggested, score, selfConfidence, split }) => ({ path: p, label, suggested, score, selfConfidence, split })),
    duplicates: report.duplicates.map(({ paths, similarity, kind, exact, splits, labels, fix }) => ({ paths, similarity, kind, exact, splits, labels, fix })),
    outliers: report.outliers,
    balance: { ...report.balance, ratio: Number.isFinite(report.balance.ratio) ? report.balance.ratio : null },
    settings: report.settings,
  };
}

/** Imports `--model_dir` with the service (same validation, defaults and imports registry as `retrain`); returns the model id. */
async function importThroughService(dataDir: string, flags: Record<string, string | boolean | undefined>, range: ReturnType<typeof inputRange>): Promise<string> {
  const service = await createService({ dataDir });
  try {
    const model = await send(
      service,
      'importModel',
      { path: flags.model_dir, bottleneckNode: flags.bottleneck_node, ...(range ? { spec: { normalization: range } } : {}) },
      { path: 'model_dir', bottleneckNode: 'bottleneck_node', spec: 'input_range' },
    );
    return model.id;
  } finally {
    await service.close();
  }
}

export async function auditCommandMain(argv: string[], out: Output): Promise<number> {
  const flags = parseFlags(argv, {
    image_dir: text, architecture: text, model_dir: text, bottleneck_node: text, input_range: text, bottleneck_dir: text,
    output_json: text, folds: text, seed: text, duplicate_threshold: text, validation_percentage: text, testing_percentage: text,
    top: text, data_dir: text, backend: text, help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) return out.lines(HELP), 0;
  if (typeof flags.image_dir !== 'string') throw new CoreError('INVALID_ARGUMENT', `--image_dir is required: the folder that holds one sub-folder per class.\n${HELP}`);
  if (flags.model_dir !== undefined && flags.architecture !== undefined) throw new CoreError('INVALID_ARGUMENT', 'Pass --architecture or --model_dir, not both.');
  const folds = numberFlag(flags, 'folds', (n) => Number.isInteger(n) && n >= 2 && n <= 20, 'a whole number from 2 to 20');
  const seed = numberFlag(flags, 'seed', (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 31, 'a whole number ≥ 0');
  const threshold = numberFlag(flags, 'duplicate_threshold', (n) => n > 0 && n <= 1, 'a cosine similarity in (0, 1]');
  const top = numberFlag(flags, 'top', (n) => Number.isInteger(n) && n >= 0, 'a whole number ≥ 0') ?? 10;
  const validationPercent = numberFlag(flags, 'validation_percentage', (n) => n >= 0 && n <= 90, 'a percentage from 0 to 90') ?? 10;
  const testPercent = numberFlag(flags, 'testing_percentage', (n) => n >= 0 && n <= 90, 'a percentage from 0 to 90') ?? 10;
  const range = inputRange(flags.input_range);
  const { backend } = checkRequest('updateSettings', { backend: flags.backend }, { backend: 'backend' });
  const dataDir = typeof flags.data_dir === 'string' ? path.resolve(flags.data_dir) : defaultDataDir();

  const engine = await selectEngine({ force: backend === undefined || backend === 'auto' ? undefined : backend });
  out.line(`Engine: TF.js ${engine.backend}.`);
  const dataset = await scanDataset(path.resolve(flags.image_dir), {
    validationPercent,
    testPercent,
    onProgress: (done, total) => out.progress('scanning', { done, total, unit: 'files' }),
  }).finally(() => out.endProgress());
  out.line(`Dataset ${dataset.root}: ${dataset.classes.length} classes, ${dataset.imageCount} images.`);
  if (dataset.classes.length < 2) throw new CoreError('DATASET_INVALID', `${dataset.root} needs at least two class folders with images for an audit.`);

  const store = createModelStore({ dir: path.join(dataDir, 'models') });
  // A --model_dir is imported as `retrain` imports it: through the service, after the hosts' validator.
  const importedId = typeof flags.model_dir === 'string' ? await importThroughService(dataDir, flags, range) : undefined;
  const model = await store.resolve(importedId ?? (typeof flags.architecture === 'string' ? flags.architecture : String(HYPERPARAMETERS.find((h) => h.key === 'architecture')?.default)));
  out.line(`Model ${model.name}: bottleneck ${model.bottleneckNode} (${model.featureSize}).`);
  const extractor = await loadFeatureExtractor(model);
  let report: HealthReport;
  try {
    const images = dataset.classes.flatMap((c) => c.images);
    const cache = createBottleneckCache({ dir: typeof flags.bottleneck_dir === 'string' ? path.resolve(flags.bottleneck_dir) : path.join(dataDir, 'bottlenecks') });
    const bottlenecks = await computeBottlenecks({
      images,
      extractor,
      cache,
      onProgress: (p) => out.progress('bottlenecks', { done: p.done, total: p.total, unit: 'images', note: `${p.fromCache} cached`, ratePerSecond: p.imagesPerSecond, etaMs: p.etaMs }),
    }).finally(() => out.endProgress());
    out.line(`Bottlenecks: ${bottlenecks.stats.fromCache} from cache, ${bottlenecks.stats.computed} computed, ${bottlenecks.stats.failed} unreadable.`);
    report = await runHealthChecks(healthInputFromDataset(dataset, bottlenecks.vectors, bottlenecks.featureSize), {
      folds,
      seed,
      duplicateThreshold: threshold,
      onPhase: (message) => out.line(`${message}…`),
    });
  } finally {
    extractor.dispose();
  }

  const pct = (x: number): string => x.toFixed(2);
  out.line(`=== MISLABEL SUSPECTS (${report.suspects.length}; ${report.settings.folds}-fold confident learning, seed ${report.settings.seed}) ===`);
  for (const s of report.suspects.slice(0, top)) out.line(`${pct(s.score)}  ${s.path}  labelled ${s.label}, looks like ${s.suggested} (${s.split})`);
  const byKind = (kind: string): number => report.duplicates.filter((g) => g.kind === kind).length;
  out.line(`=== DUPLICATES (${report.duplicates.length}: ${byKind('leakage')} leakage, ${byKind('conflicting')} conflicting, ${byKind('redundant')} redundant; cosine ≥ ${report.settings.duplicateThreshold} or identical bytes) ===`);
  for (const g of report.duplicates.slice(0, top)) {
    out.line(`${g.kind.padEnd(11)} ${g.exact ? 'identical' : pct(g.similarity).padEnd(9)}  ${g.paths.map((p, i) => `${p} (${g.labels[i]}, ${g.splits[i]})`).join('  ')}`);
    out.line(`            ${g.fix}`);
  }
  out.line(`=== OUTLIERS (${report.outliers.length}; ${report.settings.outlierRule}) ===`);
  for (const o of report.outliers.slice(0, top)) out.line(`${pct(o.score)}  ${o.path}  (${o.label}, ${o.split}; similarity to its class ${pct(o.ownSimilarity)})`);
  out.line(`=== CLASS BALANCE (${report.settings.balanceRule}) ===`);
  for (const c of report.balance.classes) out.line(`${c.name.padEnd(20)} ${String(c.total).padStart(6)}  train ${c.train}, validation ${c.validation}, test ${c.test}`);
  for (const w of report.balance.warnings) out.line(`Warning: ${w}`);
  if (typeof flags.output_json === 'string') {
    const file = path.resolve(flags.output_json);
    await writeFile(file, `${JSON.stringify(auditJson(report), null, 2)}\n`);
    out.line(`Report: ${file}`);
  }
  return 0;
}
