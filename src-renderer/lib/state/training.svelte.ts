/**
 * The run being trained: phase, bottleneck progress, step progress and the metric points
 * streamed by `training.progress`. Points are batched per animation frame so a fast
 * stream never re-renders more than the screen can show.
 */
import type {
  BottleneckProgress,
  EventName,
  EventPayload,
  MetricPoint,
  RunPhase,
  RunStatus,
  RunSummary,
  TrainingConfig,
} from '../../../src-main/api/contract.js';
import { api, handleError, onEvent } from '../api.js';
import { runs } from './runs.svelte.js';
import { toasts } from './toasts.svelte.js';

export type TrainingStatus = 'idle' | 'starting' | RunStatus;

/** Phases in order, for the phase line. */
export const RUN_PHASES: RunPhase[] = ['queued', 'loading', 'bottlenecks', 'training', 'evaluating', 'saving', 'done'];

type RunEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[
  'run.phase' | 'bottlenecks.progress' | 'training.progress' | 'run.finished'
];

const nextFrame: (callback: () => void) => void =
  typeof requestAnimationFrame === 'function' ? (callback) => requestAnimationFrame(() => callback()) : (callback) => setTimeout(callback, 16);

export class TrainingState {
  #runId = $state<string | null>(null);
  #runName = $state<string | null>(null);
  #status = $state<TrainingStatus>('idle');
  #phase = $state<RunPhase | null>(null);
  #phaseMessage = $state('');
  #bottlenecks = $state.raw<BottleneckProgress | null>(null);
  #step = $state(0);
  #totalSteps = $state(0);
  #points = $state.raw<MetricPoint[]>([]);
  #summary = $state.raw<RunSummary | null>(null);
  #cancelling = $state(false);
  #startedAtMs = $state<number | null>(null);
  /** The last working phase (not `done`): where a cancelled or failed run stopped. */
  #workPhase: RunPhase | null = null;

  #pending: MetricPoint[] = [];
  #flushScheduled = false;
  #early: RunEvent[] = [];

  #running = $derived(this.#status === 'starting' || this.#status === 'running');
  #latest = $derived(this.#points.at(-1) ?? null);

  get runId(): string | null {
    return this.#runId;
  }

  get runName(): string | null {
    return this.#runName;
  }

  get status(): TrainingStatus {
    return this.#status;
  }

  /** True from the click on Train until the run finishes. */
  get running(): boolean {
    return this.#running;
  }

  get phase(): RunPhase | null {
    return this.#phase;
  }

  get phaseMessage(): string {
    return this.#phaseMessage;
  }

  get bottlenecks(): BottleneckProgress | null {
    return this.#bottlenecks;
  }

  get step(): number {
    return this.#step;
  }

  get totalSteps(): number {
    return this.#totalSteps;
  }

  /** Metric points of the current run, oldest first (replaced, never mutated). */
  get points(): MetricPoint[] {
    return this.#points;
  }

  get latest(): MetricPoint | null {
    return this.#latest;
  }

  /** The finished run's summary (status, test accuracy, error). */
  get summary(): RunSummary | null {
    return this.#summary;
  }

  get cancelling(): boolean {
    return this.#cancelling;
  }

  get startedAtMs(): number | null {
    return this.#startedAtMs;
  }

  /** Listens to run events; returns the unsubscribe function. */
  subscribe(): () => void {
    const offs = [
      onEvent('run.phase', (payload) => this.#receive({ event: 'run.phase', payload })),
      onEvent('bottlenecks.progress', (payload) => this.#receive({ event: 'bottlenecks.progress', payload })),
      onEvent('training.progress', (payload) => this.#receive({ event: 'training.progress', payload })),
      onEvent('run.finished', (payload) => {
        this.#receive({ event: 'run.finished', payload });
        if (payload.id !== this.#runId) void runs.load();
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Starts a run; events received before the reply are replayed once the id is known. */
  async start(request: { datasetId: string; config: Partial<TrainingConfig>; name?: string }): Promise<string | null> {
    if (this.#running) return this.#runId;
    this.#clear();
    this.#status = 'starting';
    this.#phase = 'queued';
    this.#phaseMessage = 'Starting…';
    this.#startedAtMs = Date.now();
    this.#totalSteps = request.config.howManyTrainingSteps ?? 0;
    try {
      const { runId } = await api.startTraining(request);
      this.#runId = runId;
      this.#runName = request.name ?? null;
      if (this.#status === 'starting') this.#status = 'running';
      const early = this.#early;
      this.#early = [];
      for (const event of early) if (this.#runIdOf(event) === runId) this.#apply(event);
      void runs.load();
      return runId;
    } catch (error) {
      this.#status = 'idle';
      this.#phase = null;
      this.#phaseMessage = '';
      this.#early = [];
      handleError(error, 'Training');
      return null;
    }
  }

  /** Follows a run that is already going (e.g. after a reload), starting from its stored metrics. */
  async attach(runId: string): Promise<void> {
    const detail = await runs.detail(runId, true);
    if (!detail || detail.status !== 'running') return;
    this.#clear();
    this.#runId = runId;
    this.#runName = detail.name;
    this.#status = 'running';
    this.#totalSteps = detail.config.howManyTrainingSteps;
    this.#points = detail.metrics;
    this.#step = detail.metrics.at(-1)?.step ?? 0;
    this.#phase = detail.metrics.length > 0 ? 'training' : 'loading';
  }

  /** Asks the engine to stop the run; the run then finishes as `cancelled`. */
  async cancel(): Promise<void> {
    const runId = this.#runId;
    if (!runId || !this.#running) return;
    this.#cancelling = true;
    try {
      await api.cancelTraining({ runId });
    } catch (error) {
      this.#cancelling = false;
      handleError(error, 'Cancel');
    }
  }

  reset(): void {
    this.#clear();
  }

  #clear(): void {
    this.#runId = null;
    this.#runName = null;
    this.#status = 'idle';
    this.#phase = null;
    this.#phaseMessage = '';
    this.#bottlenecks = null;
    this.#step = 0;
    this.#totalSteps = 0;
    this.#points = [];
    this.#summary = null;
    this.#cancelling = false;
    this.#startedAtMs = null;
    this.#workPhase = null;
    this.#pending = [];
    this.#early = [];
  }

  #runIdOf(event: RunEvent): string {
    return event.event === 'run.finished' ? event.payload.id : event.payload.runId;
  }

  #receive(event: RunEvent): void {
    if (this.#status === 'starting' && this.#runId === null) {
      // The reply with the run id has not arrived yet; keep a bounded backlog.
      if (this.#early.length < 5000) this.#early.push(event);
      return;
    }
    if (this.#runIdOf(event) === this.#runId) this.#apply(event);
  }

  #apply(event: RunEvent): void {
    switch (event.event) {
      case 'run.phase':
        this.#phase = event.payload.phase;
        this.#phaseMessage = event.payload.message;
        if (event.payload.phase !== 'done' && !this.#cancelling) this.#workPhase = event.payload.phase;
        break;
      case 'bottlenecks.progress': {
        const { runId: _runId, ...progress } = event.payload;
        this.#bottlenecks = progress;
        break;
      }
      case 'training.progress':
        this.#step = event.payload.step;
        this.#totalSteps = event.payload.totalSteps;
        if (this.#phase !== 'training' && this.#phase !== 'evaluating' && !this.#cancelling) {
          this.#phase = 'training';
          this.#workPhase = 'training';
        }
        if (event.payload.point) this.#queuePoint(event.payload.point);
        break;
      case 'run.finished':
        this.#flushPoints();
        this.#summary = event.payload;
        this.#status = event.payload.status;
        this.#cancelling = false;
        if (event.payload.status === 'completed') {
          this.#phase = 'done';
          toasts.success(
            `Training finished${event.payload.testAccuracy !== undefined ? `: test accuracy ${(event.payload.testAccuracy * 100).toFixed(1)}%` : ''}.`,
          );
        } else if (event.payload.status === 'cancelled') {
          this.#phase = this.#workPhase ?? this.#phase;
          this.#phaseMessage = 'Cancelled.';
        } else if (event.payload.status === 'failed') {
          this.#phase = this.#workPhase ?? this.#phase;
          this.#phaseMessage = event.payload.error ?? 'The run failed.';
          toasts.error(`Training failed: ${event.payload.error ?? 'unknown error'}`);
        }
        void runs.finished(event.payload).then(() => {
          // The stored metrics are authoritative (events may be thinned at high rates).
          const detail = runs.details[event.payload.id];
          if (detail && this.#runId === event.payload.id && detail.metrics.length >= this.#points.length) this.#points = detail.metrics;
        });
        break;
    }
  }

  #queuePoint(point: MetricPoint): void {
    this.#pending.push(point);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    nextFrame(() => this.#flushPoints());
  }

  #flushPoints(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0) return;
    const last = this.#points.at(-1)?.step ?? -Infinity;
    // A point for a step already shown replaces nothing: keep the stream monotonic.
    const fresh = this.#pending.filter((point) => point.step > last);
    this.#pending = [];
    if (fresh.length > 0) this.#points = [...this.#points, ...fresh];
  }
}

export const training = new TrainingState();
