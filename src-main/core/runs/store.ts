/**
 * Training runs on disk, one folder each (retrain.py's --summaries_dir):
 *   config.json   what was trained: hyperparameters, dataset, model, classes
 *   metrics.jsonl one MetricPoint per evaluation step, appended as training goes
 *   summary.json  status, engine, phase times, evaluation
 *   model/        the trained head (TF.js layers) + labels.txt
 *   train/, validation/  TensorBoard event files
 */
import { appendFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CoreError } from '../errors.js';
import { writeAtomic } from '../tf/file-io.js';
import type { ModelInfo } from '../models/types.js';
import type { MetricPoint } from '../training/index.js';
import type { EvaluationSummary } from '../evaluation/index.js';
import type { RunConfigField, RunStatus, RunSummary } from './types.js';
import { acquireLease, readLease, type HeldLease } from './lease.js';

export type { PhaseTimes, RunStatus, RunSummary } from './types.js';

/** config.json: what was trained, plus the model as it was when the run started (its bottleneck node may change later). */
export type RunConfigRecord = Pick<RunSummary, RunConfigField> & { model: ModelInfo; appVersion: string };

/** summary.json: how the run went. */
export type RunSummaryRecord = Omit<RunSummary, RunConfigField> & { evaluation?: EvaluationSummary; finishedAt?: string };

/**
 * A run as listed. `live` is true while some process (this one or another sharing the data
 * folder) holds the run's lease; a `queued` or `running` run that is not live was interrupted.
 */
export type RunRecord = RunConfigRecord & Omit<RunSummaryRecord, 'evaluation'> & { live: boolean };
export type RunRecordDetail = RunRecord & { metrics: MetricPoint[]; evaluation?: EvaluationSummary };

/** Queued or running: the run's lease is held and its summary is not final. */
export const isUnfinished = (status: RunStatus): boolean => status === 'queued' || status === 'running';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;

export interface RunStore {
  readonly dir: string;
  /**
   * Creates the run folder with config.json and a `queued` summary, and takes the run's
   * lease for this process until a final summary (not `queued`/`running`) is written.
   */
  create(record: Omit<RunConfigRecord, 'id' | 'createdAt'>, initial: Omit<RunSummaryRecord, 'status'>): Promise<RunConfigRecord>;
  appendMetric(id: string, point: MetricPoint): Promise<void>;
  writeSummary(id: string, summary: RunSummaryRecord): Promise<void>;
  /** Folder of a run (validated id); throws NOT_FOUND for an unknown run. */
  runDir(id: string): Promise<string>;
  /** Newest first. Unreadable folders are skipped. */
  list(): Promise<RunRecord[]>;
  get(id: string): Promise<RunRecordDetail>;
  rename(id: string, name: string): Promise<RunRecord>;
  /** Deletes a run. @throws CoreError BUSY while the run is live (in any process). */
  remove(id: string): Promise<void>;
  /** Releases every lease this store holds (the process is closing). */
  close(): Promise<void>;
}

/** A run store rooted at `dir` (created on first write). */
export function createRunStore(dir: string): RunStore {
  const folder = (id: string): string => {
    if (!RUN_ID.test(id)) throw new CoreError('INVALID_ARGUMENT', `"${id.slice(0, 60)}" is not a run id.`);
    return path.join(dir, id);
  };
  const existing = async (id: string): Promise<string> => {
    const runFolder = folder(id);
    try {
      await stat(path.join(runFolder, 'config.json'));
    } catch {
      throw new CoreError('NOT_FOUND', `No run "${id}" in ${dir}.`);
    }
    return runFolder;
  };
  const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;

  const leases = new Map<string, HeldLease>();
  const isLive = async (id: string, status: RunStatus): Promise<boolean> =>
    leases.has(id) || (isUnfinished(status) && (await readLease(folder(id))).state === 'live');

  const readRecord = async (id: string): Promise<RunRecord & { evaluation?: EvaluationSummary }> => {
    const runFolder = await existing(id);
    const config = await readJson<RunConfigRecord>(path.join(runFolder, 'config.json'));
    let summary: RunSummaryRecord;
    try {
      summary = await readJson<RunSummaryRecord>(path.join(runFolder, 'summary.json'));
    } catch {
      summary = { status: 'failed', backend: '', featureEngine: '', device: '', phases: {}, error: 'summary.json is missing or unreadable' };
    }
    return { ...config, ...summary, live: await isLive(id, summary.status) };
  };

  return {
    dir,
    async create(record, initial) {
      await mkdir(dir, { recursive: true });
      const now = new Date();
      const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..+$/, '').replace('T', '-');
      // The folder is created exclusively: two processes starting runs in the same second
      // never share one (a clash draws another suffix).
      let id = '';
      for (let attempt = 0; !id; attempt++) {
        const candidate = `${stamp}-${randomBytes(3).toString('hex')}`;
        try {
          await mkdir(folder(candidate));
          id = candidate;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 9) throw error;
        }
      }
      const full: RunConfigRecord = { ...record, id, createdAt: now.toISOString() };
      const runFolder = folder(id);
      await writeAtomic(path.join(runFolder, 'config.json'), JSON.stringify(full, null, 2));
      await writeAtomic(path.join(runFolder, 'summary.json'), JSON.stringify({ ...initial, status: 'queued' }, null, 2));
      await writeAtomic(path.join(runFolder, 'metrics.jsonl'), '');
      leases.set(id, await acquireLease(runFolder));
      return full;
    },
    async appendMetric(id, point) {
      await appendFile(path.join(folder(id), 'metrics.jsonl'), `${JSON.stringify(point)}\n`);
    },
    async writeSummary(id, summary) {
      try {
        await writeAtomic(path.join(folder(id), 'summary.json'), JSON.stringify(summary, null, 2));
      } finally {
        if (!isUnfinished(summary.status)) {
          await leases.get(id)?.release();
          leases.delete(id);
        }
      }
    },
    runDir: existing,
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return [];
      }
      const records: RunRecord[] = [];
      for (const name of names.filter((n) => RUN_ID.test(n))) {
        try {
          const { evaluation: _evaluation, ...record } = await readRecord(name);
          records.push(record);
        } catch {
          // Not a run folder (or half-deleted): not listed.
        }
      }
      return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
    async get(id) {
      const record = await readRecord(id);
      const text = await readFile(path.join(folder(id), 'metrics.jsonl'), 'utf8').catch(() => '');
      const metrics: MetricPoint[] = [];
      // A crash can leave a half-written last line: keep every complete one.
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          metrics.push(JSON.parse(line) as MetricPoint);
        } catch {
          break;
        }
      }
      return { ...record, metrics };
    },
    async rename(id, name) {
      const runFolder = await existing(id);
      const config = await readJson<RunConfigRecord>(path.join(runFolder, 'config.json'));
      await writeAtomic(path.join(runFolder, 'config.json'), JSON.stringify({ ...config, name }, null, 2));
      const { evaluation: _evaluation, ...record } = await readRecord(id);
      return record;
    },
    async remove(id) {
      const runFolder = await existing(id);
      const lease = await readLease(runFolder);
      if (leases.has(id) || lease.state === 'live') {
        const owner = lease.lease ? ` (process ${lease.lease.pid} on ${lease.lease.host})` : '';
        throw new CoreError('BUSY', `Run ${id} is still running${owner}: cancel it or wait for it to finish before deleting it.`);
      }
      await rm(runFolder, { recursive: true, force: true });
    },
    async close() {
      await Promise.all([...leases.values()].map((lease) => lease.release()));
      leases.clear();
    },
  };
}
