/** `retrain-studio label`: label_image.py's flags over core's labelling. */
import { parseArgs } from 'node:util';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../core/errors.js';
import { selectEngine } from '../core/engine/index.js';
import { labelImage } from '../core/classify/label.js';
import { DEFAULTS } from '../api/wire.js';
import type { Output } from './output.js';
import { BACKEND_CHOICES, checkRequest } from './requests.js';

const HELP = `Usage: retrain-studio label --graph DIR --image FILE [flags]
  --graph DIR          an export folder (model.json + metadata.json + labels.txt), or any TF.js classifier folder
  --labels FILE        labels, one per line (default: the export's labels.txt)
  --image FILE         the image to classify
  --input_layer NAME   checked against the model's input (error if different)
  --output_layer NAME  checked against the model's output
  --input_height N, --input_width N   input size (checked against the model)
  --input_mean M, --input_std S       (pixel - M) / S; checked against an export's metadata
  --crop center|squash how a non-export model's input is fitted (default squash, as label_image.py)
  --top_k N            how many labels to print (default ${DEFAULTS.topK}, at most ${DEFAULTS.maxTopK})
  --backend NAME       ${BACKEND_CHOICES.join('|')}
  --json               print JSON`;

const numberFlag = (flags: Record<string, unknown>, name: string): number | undefined => {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CoreError('INVALID_ARGUMENT', `--${name} must be a number (got "${String(value)}").`);
  return n;
};

/** Runs `label`; returns the exit code. */
export async function labelCommandMain(argv: string[], out: Output): Promise<number> {
  const text = { type: 'string' } as const;
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: argv,
      strict: true,
      options: {
        graph: text, labels: text, image: text, input_layer: text, output_layer: text, input_height: text, input_width: text,
        input_mean: text, input_std: text, crop: text, top_k: text, backend: text,
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new CoreError('INVALID_ARGUMENT', (error as Error).message);
  }
  if (flags.help) return out.lines(HELP), 0;
  if (typeof flags.graph !== 'string' || typeof flags.image !== 'string') throw new CoreError('INVALID_ARGUMENT', `--graph and --image are required.\n${HELP}`);
  if (flags.crop !== undefined && flags.crop !== 'center' && flags.crop !== 'squash') throw new CoreError('INVALID_ARGUMENT', '--crop must be center or squash.');
  // label runs in-process on core, but its flags pass the validators of the requests they mirror:
  // --backend is updateSettings' backend, --image and --top_k are classify's.
  const { backend } = checkRequest('updateSettings', { backend: flags.backend }, { backend: 'backend' });
  const topK = checkRequest('classify', { modelId: 'label', image: { path: flags.image }, topK: numberFlag(flags, 'top_k') ?? DEFAULTS.topK }, { topK: 'top_k', image: 'image' }).topK;
  // A missing model folder is "model not found" (exit 4), not a labels question.
  const graphExists = await stat(path.resolve(flags.graph)).then(() => true, () => false);
  if (!graphExists) throw new CoreError('MODEL_NOT_FOUND', `--graph ${path.resolve(flags.graph)}: no such folder. Pass the folder of an export (model.json + labels.txt).`);
  await selectEngine({ force: backend === 'auto' ? undefined : backend });
  const result = await labelImage({
    graph: path.resolve(flags.graph),
    image: path.resolve(flags.image),
    ...(typeof flags.labels === 'string' ? { labels: path.resolve(flags.labels) } : {}),
    ...(typeof flags.input_layer === 'string' ? { inputLayer: flags.input_layer } : {}),
    ...(typeof flags.output_layer === 'string' ? { outputLayer: flags.output_layer } : {}),
    inputHeight: numberFlag(flags, 'input_height'),
    inputWidth: numberFlag(flags, 'input_width'),
    inputMean: numberFlag(flags, 'input_mean'),
    inputStd: numberFlag(flags, 'input_std'),
    topK: topK ?? DEFAULTS.topK,
    ...(flags.crop ? { crop: flags.crop as 'center' | 'squash' } : {}),
  });
  if (flags.json) return out.lines(JSON.stringify(result, null, 2)), 0;
  for (const p of result.predictions) out.line(`${p.label} ${p.probability.toFixed(5)}`);
  out.line(`Evaluation time: ${result.durationMs.toFixed(1)} ms (decode ${result.preprocessMs.toFixed(1)} ms, inference ${result.inferenceMs.toFixed(1)} ms, ${result.engine})`);
  return 0;
}
