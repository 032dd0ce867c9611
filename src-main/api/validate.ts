/**
 * Validation of every request at the process boundary. The renderer (and any HTTP
 * client) is untrusted: adapters call `validateRequest` before the service sees a value.
 * The table is a mapped type over the contract, so a method without a validator does
 * not compile.
 */
import { z } from 'zod';
import { CoreError } from '../core/errors.js';
import { HYPERPARAMETERS } from '../core/training/hyperparameters.js';
import {
  BACKEND_CHOICES,
  CROSS_VALIDATION,
  FEATURE_ENGINES,
  FOLDER_PURPOSES,
  isApiMethodName,
  LIMITS,
  SCALAR_FORMATS,
  SPLITS,
  SWEEP_PARAMETERS,
  type ApiMethod,
  type ApiRequest,
  type TrainingConfig,
} from './contract.js';
import { DEFAULTS } from './wire.js';

const path = z.string().min(1).max(LIMITS.pathChars).refine((p) => !p.includes('\0'), 'must not contain NUL');
const id = z.string().min(1).max(LIMITS.nameChars);
const empty = z.object({}).strict();
const percent = z.number().min(0).max(90);
const split = z.enum(SPLITS);

const normalization = z.union([
  z.object({ kind: z.literal('range'), min: z.number().finite(), max: z.number().finite() }).strict(),
  z
    .object({
      kind: z.literal('meanStd'),
      mean: z.union([z.number().finite(), z.tuple([z.number(), z.number(), z.number()])]),
      std: z.union([z.number().positive(), z.tuple([z.number().positive(), z.number().positive(), z.number().positive()])]),
    })
    .strict(),
]);

const spec = z
  .object({
    heightPx: z.number().int().min(8).max(2048),
    widthPx: z.number().int().min(8).max(2048),
    crop: z.enum(['center', 'squash']),
    normalization,
  })
  .partial()
  .strict();

/** Built from retrain.py's hyperparameter table, so the boundary checks what core accepts. */
const trainingConfig = z
  .object(
    Object.fromEntries(
      HYPERPARAMETERS.map((h) => {
        if (h.type === 'boolean') return [h.key, z.boolean()];
        if (h.type === 'string') return [h.key, h.choices ? z.enum(h.choices as [string, ...string[]]) : h.pattern ? id.regex(new RegExp(h.pattern), `must match ${h.flag}'s form (see its help)`) : id];
        let n = h.type === 'integer' ? z.number().int() : z.number().finite();
        if (h.min !== undefined) n = n.min(h.min);
        if (h.max !== undefined) n = n.max(h.max);
        return [h.key, n];
      }),
    ),
  )
  .partial()
  .strict() as unknown as z.ZodType<Partial<TrainingConfig>>;

const image = z.union([
  z.object({ path }).strict(),
  z.object({ dataBase64: z.string().min(1).max(LIMITS.imageBase64Chars).regex(/^[A-Za-z0-9+/=\s]+$/, 'must be base64'), name: z.string().max(LIMITS.nameChars) }).strict(),
]);

const schemas: { [M in ApiMethod]: z.ZodType<ApiRequest<M>> } = {
  getEngine: empty,
  getSettings: empty,
  updateSettings: z
    .object({
      backend: z.enum(BACKEND_CHOICES),
      featureEngine: z.enum(FEATURE_ENGINES),
    })
    .partial()
    .strict(),
  getHyperparameters: empty,
  pickFolder: z.object({ purpose: z.enum(FOLDER_PURPOSES) }).strict(),
  openDataset: z.object({ path, validationPercent: percent.optional(), testPercent: percent.optional() }).strict(),
  cancelOpenDataset: z.object({ path }).strict(),
  listDatasetImages: z
    .object({
      datasetId: id,
      className: z.string().max(LIMITS.nameChars).optional(),
      split: split.optional(),
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(LIMITS.pageSize).optional(),
    })
    .strict(),
  listModels: empty,
  downloadModel: z.object({ modelId: id }).strict(),
  importModel: z
    .object({
      path,
      name: z.string().max(LIMITS.nameChars).optional(),
      bottleneckNode: z.string().max(LIMITS.pathChars).optional(),
      labelsPath: path.optional(),
      spec: spec.optional(),
    })
    .strict() as z.ZodType<ApiRequest<'importModel'>>,
  setBottleneckNode: z.object({ modelId: id, node: z.string().min(1).max(LIMITS.pathChars) }).strict(),
  describeModel: z.union([z.object({ modelId: id }).strict(), z.object({ runId: id }).strict()]),
  startTraining: z.object({ datasetId: id, config: trainingConfig, name: z.string().max(LIMITS.nameChars).optional() }).strict(),
  startSweep: z
    .object({
      datasetId: id,
      config: trainingConfig,
      parameter: z.enum(SWEEP_PARAMETERS),
      values: z.array(z.union([z.number().finite(), z.string().max(40)])).min(1).max(LIMITS.sweepValues),
    })
    .strict(),
  cancelTraining: z.object({ runId: id }).strict(),
  listRuns: empty,
  getRun: z.object({ runId: id }).strict(),
  renameRun: z.object({ runId: id, name: z.string().trim().min(1).max(LIMITS.nameChars) }).strict(),
  deleteRun: z.object({ runId: id }).strict(),
  exportScalars: z.object({ runIds: z.array(id).min(1).max(LIMITS.runIds), format: z.enum(SCALAR_FORMATS) }).strict(),
  exportRun: z.object({ runId: id, path: path.optional(), onnx: z.boolean().optional() }).strict(),
  classify: z
    .object({
      runId: id.optional(),
      modelId: id.optional(),
      image,
      topK: z.number().int().min(1).max(DEFAULTS.maxTopK).optional(),
    })
    .strict()
    .refine((r) => (r.runId === undefined) !== (r.modelId === undefined), 'give exactly one of runId or modelId'),
  getCacheInfo: empty,
  clearCache: empty,

  // ── walkthrough: k-fold cross-validation (item 11) ──
  crossValidateRun: z.object({ runId: id, folds: z.number().int().min(CROSS_VALIDATION.minFolds).max(CROSS_VALIDATION.maxFolds).optional() }).strict(),
  // ── label a folder & webcam capture ──
  labelFolder: z
    .object({ path, runId: id.optional(), modelId: id.optional(), topK: z.number().int().min(1).max(DEFAULTS.maxTopK).optional() })
    .strict()
    .refine((r) => (r.runId === undefined) !== (r.modelId === undefined), 'give exactly one of runId or modelId'),
  cancelLabelFolder: z.object({ path }).strict(),
  exportLabelFolderCsv: z.object({ jobId: id }).strict(),
  captureImage: z
    .object({
      datasetId: id,
      className: z.string().min(1).max(LIMITS.nameChars),
      dataBase64: z.string().min(1).max(LIMITS.imageBase64Chars).regex(/^[A-Za-z0-9+/=\s]+$/, 'must be base64'),
    })
    .strict(),
  // ── data health ──
  runAudit: z
    .object({
      datasetId: id,
      modelId: id,
      folds: z.number().int().min(2).max(20).optional(),
      seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
      duplicateThreshold: z.number().gt(0).max(1).optional(),
    })
    .strict(),
  cancelAudit: z.object({ datasetId: id }).strict(),
  getAudit: z.object({ datasetId: id }).strict(),
  listFixes: z.object({ datasetId: id }).strict(),
  moveImage: z.object({ datasetId: id, path, toClass: z.string().min(1).max(LIMITS.nameChars) }).strict(),
  undoFix: z.object({ datasetId: id, fixId: id }).strict(),
  excludeImages: z.object({ datasetId: id, paths: z.array(path).min(1).max(LIMITS.pageSize), reason: z.string().max(LIMITS.nameChars).optional() }).strict(),
  restoreImages: z.object({ datasetId: id, paths: z.array(path).min(1).max(LIMITS.pageSize) }).strict(),
  // ── explain and calibration ──
  explain: z
    .object({ runId: id.optional(), modelId: id.optional(), image, classIndex: z.number().int().min(0).max(100_000).optional() })
    .strict()
    .refine((r) => (r.runId === undefined) !== (r.modelId === undefined), 'give exactly one of runId or modelId'),
};

/** True when `name` is a method of the contract (guards against `__proto__`, `constructor`…). */
export const isApiMethod = isApiMethodName;

/**
 * Checks a request from an untrusted client. Throws CoreError('INVALID_ARGUMENT') naming
 * the method and the first offending field, or PAYLOAD_TOO_LARGE for oversized strings.
 */
export function validateRequest<M extends ApiMethod>(method: M, raw: unknown): ApiRequest<M> {
  if (!isApiMethod(method)) throw new CoreError('INVALID_ARGUMENT', `Unknown method ${JSON.stringify(String(method)).slice(0, 80)}.`);
  const result = schemas[method].safeParse(raw ?? {});
  if (result.success) return result.data as ApiRequest<M>;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'request';
  if (issue?.code === 'too_big' && issue.origin === 'string') {
    throw new CoreError('PAYLOAD_TOO_LARGE', `${method}: ${where} is too large (${issue.message}).`);
  }
  throw new CoreError('INVALID_ARGUMENT', `${method}: invalid ${where}: ${issue?.message ?? 'malformed request'}.`);
}
