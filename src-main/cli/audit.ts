/**
 * `retrain-studio audit`: data health of a dataset on its bottlenecks — mislabel suspects,
 * near-duplicates and leakage, outliers, class balance. It sends the app's own requests
 * (openDataset, importModel, runAudit) to an in-process service, so the CLI and the Data
 * health view run one implementation on one bottleneck cache and the same exclusion list.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../core/errors.js';
import { defaultDataDir } from '../core/paths.js';
import { DEFAULT_DUPLICATE_THRESHOLD, DEFAULT_FOLDS } from '../core/health/index.js';
import { HYPERPARAMETERS } from '../core/training/index.js';
import type { AuditReport, HealthReport } from '../api/contract.js';
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
  const settings = checkRequest('updateSettings', { backend: flags.backend }, { backend: 'backend' });
  const dataDir = typeof flags.data_dir === 'string' ? path.resolve(flags.data_dir) : defaultDataDir();

  const service = await createService({ dataDir, ...(typeof flags.bottleneck_dir === 'string' ? { cacheDir: path.resolve(flags.bottleneck_dir) } : {}) });
  let report: AuditReport;
  try {
    if (settings.backend !== undefined) await send(service, 'updateSettings', settings);
    out.line((await send(service, 'getEngine', {})).summary);
    const offScan = service.on('dataset.progress', (p) =>
      p.phase === 'listing' ? out.progress('listing', { done: p.total, total: 0, unit: 'files' }) : out.progress('scanning', { done: p.done, total: p.total, unit: 'files' }),
    );
    const dataset = await send(service, 'openDataset', { path: flags.image_dir, validationPercent, testPercent }, { path: 'image_dir', validationPercent: 'validation_percentage', testPercent: 'testing_percentage' }).finally(() => {
      offScan();
      out.endProgress();
    });
    const excluded = dataset.issues.filter((i) => i.code === 'EXCLUDED').length;
    out.line(`Dataset ${dataset.root}: ${dataset.classes.length} classes, ${dataset.imageCount} images${excluded ? ` (${excluded} excluded in Data health)` : ''}.`);

    // A --model_dir is imported as `retrain` imports it (same validation, defaults and imports registry).
    const modelId =
      typeof flags.model_dir === 'string'
        ? (await send(service, 'importModel', { path: flags.model_dir, bottleneckNode: flags.bottleneck_node, ...(range ? { spec: { normalization: range } } : {}) }, { path: 'model_dir', bottleneckNode: 'bottleneck_node', spec: 'input_range' })).id
        : typeof flags.architecture === 'string' ? flags.architecture : String(HYPERPARAMETERS.find((h) => h.key === 'architecture')?.default);
    let phase = '';
    const offAudit = service.on('health.progress', (p) => {
      if (p.phase === 'bottlenecks') out.progress('bottlenecks', { done: p.done, total: p.total, unit: 'images' });
      else if (p.message !== phase) {
        out.endProgress();
        out.line(`${(phase = p.message)}…`);
      }
    });
    report = await send(service, 'runAudit', { datasetId: dataset.id, modelId, folds, seed, duplicateThreshold: threshold }, { modelId: flags.model_dir ? 'model_dir' : 'architecture', folds: 'folds', seed: 'seed', duplicateThreshold: 'duplicate_threshold' }).finally(() => {
      offAudit();
      out.endProgress();
    });
  } finally {
    await service.close();
  }
  out.line(`Model ${report.modelName}.`);
  const b = report.bottlenecks;
  out.line(`Bottlenecks: ${b.fromCache} from cache, ${b.computed} computed, ${b.failed} unreadable (${b.engine}).`);

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
