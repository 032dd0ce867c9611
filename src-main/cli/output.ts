/**
 * Terminal output for the CLI. Every line goes through `escapeControl`, so a name with a
 * newline or an ESC sequence prints as one visible line; a closed pipe (`… | head -1`) ends
 * output quietly; progress is a redrawn bar on a TTY and a timed line otherwise.
 */

/** C0/C1 controls, DEL, line/paragraph separators and bidi overrides: anything that moves the cursor, ends a line or reorders text. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/**
 * The CLI's one escaping function: control characters become JSON-style escapes (`\n`,
 * `\u001b`), so the result is one printable line, and JSON stays valid JSON.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One progress report. Rate and ETA are measured here unless the caller knows better. */
export type ProgressUpdate = {
  done: number;
  /** 0 when unknown (a download without a length). */
  total: number;
  /** What is counted, e.g. `images`, `steps`; `bytes` prints MB. */
  unit: string;
  /** Extra facts after the numbers, e.g. `12 cached`, a file name. */
  note?: string;
  ratePerSecond?: number;
  etaMs?: number | null;
};

export type Output = {
  /** Prints one line; every control character in it is escaped. */
  line(text: string): void;
  /** Prints text of several lines (help, JSON, a multi-line message): split at `\n`, each line escaped. */
  lines(text: string): void;
  /** Like `lines`, to stderr. */
  error(text: string): void;
  /** A progress report: on a TTY one redrawn bar per `key`; otherwise a line every few seconds and at the end. */
  progress(key: string, update: ProgressUpdate): void;
  /** Ends the current progress bar (a TTY's redrawn line). */
  endProgress(): void;
  /** True once stdout or stderr was closed by the reader (EPIPE): nothing more is written. */
  readonly closed: boolean;
  /** Called once when output closes (a command that runs long stops, as after Ctrl-C). */
  onClosed(listener: () => void): () => void;
  /** Resolves once what was written has reached the streams (or failed: then `closed` is true). */
  flush(): Promise<void>;
};

/** The exit code when the reader of our output went away: 128 + SIGPIPE, as a C program gets. */
export const EXIT_OUTPUT_CLOSED = 141;

/** How often a line is printed without a terminal. `RETRAIN_STUDIO_PROGRESS_INTERVAL_MS` overrides it (tests, CI logs). */
export const DEFAULT_PROGRESS_INTERVAL_MS = 5000;

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export type OutputOptions = {
  /** Minimum time between progress lines without a TTY. */
  progressIntervalMs?: number;
  /** Clock (ms); tests may pass their own. */
  now?: () => number;
};

function formatAmount(value: number, unit: string): string {
  return unit === 'bytes' ? `${(value / 1e6).toFixed(1)}` : String(value);
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `1200/5000 images (24%), 98.1/s, ETA 39 s, 40 cached` — the same words on a TTY and off it. */
export function describeProgress(update: ProgressUpdate, ratePerSecond: number | undefined, etaMs: number | null | undefined): string {
  const { done, total, unit } = update;
  const bytes = unit === 'bytes';
  const shownUnit = bytes ? 'MB' : unit;
  const amount = total > 0 ? `${formatAmount(done, unit)}/${formatAmount(total, unit)} ${shownUnit} (${Math.floor(Math.min(1, done / total) * 100)}%)` : `${formatAmount(done, unit)} ${shownUnit}`;
  const parts = [amount];
  if (ratePerSecond !== undefined && Number.isFinite(ratePerSecond)) parts.push(bytes ? `${(ratePerSecond / 1e6).toFixed(1)} MB/s` : `${ratePerSecond.toFixed(1)}/s`);
  if (total > 0 && done < total && etaMs !== undefined && etaMs !== null && Number.isFinite(etaMs)) parts.push(`ETA ${formatDuration(etaMs)}`);
  if (update.note) parts.push(update.note);
  return parts.join(', ');
}

type Track = { startMs: number; startDone: number; lastLineMs: number; lastDone: number; total: number; finalPrinted: boolean };

/** Output to the given streams (default process.stdout / process.stderr). */
export function createOutput(stdout: Stream = process.stdout, stderr: Stream = process.stderr, options: OutputOptions = {}): Output {
  const tty = Boolean(stdout.isTTY);
  const interval = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let barShown = false;
  let closed = false;
  const closeListeners = new Set<() => void>();
  const tracks = new Map<string, Track>();

  // A reader that went away (`| head -1`) makes the next write fail with EPIPE, emitted as an
  // 'error' event; unhandled it would crash with a stack. Any write error means we cannot print.
  const onStreamError = (): void => {
    if (closed) return;
    closed = true;
    for (const listener of [...closeListeners]) listener();
    closeListeners.clear();
  };
  stdout.on('error', onStreamError);
  if (stderr !== stdout) stderr.on('error', onStreamError);

  const write = (stream: Stream, text: string): void => {
    if (closed) return;
    try {
      stream.write(text);
    } catch {
      onStreamError();
    }
  };
  const endProgress = (): void => {
    if (barShown) write(stdout, '\n');
    barShown = false;
  };
  const writeLines = (stream: Stream, text: string): void => {
    endProgress();
    write(stream, `${text.split('\n').map(escapeControl).join('\n')}\n`);
  };

  return {
    line: (text) => {
      endProgress();
      write(stdout, `${escapeControl(text)}\n`);
    },
    lines: (text) => writeLines(stdout, text),
    error: (text) => writeLines(stderr, text),
    progress: (key, update) => {
      const t = now();
      let track = tracks.get(key);
      // A new bar, or a count that went back (a second download, a new phase): measure afresh.
      if (!track || update.done < track.lastDone || update.total !== track.total) {
        track = { startMs: t, startDone: update.done, lastLineMs: Number.NEGATIVE_INFINITY, lastDone: update.done, total: update.total, finalPrinted: false };
        tracks.set(key, track);
      }
      const elapsedS = (t - track.startMs) / 1000;
      const measuredRate = elapsedS > 0 ? (update.done - track.startDone) / elapsedS : undefined;
      const rate = update.ratePerSecond ?? measuredRate;
      const eta = update.etaMs !== undefined ? update.etaMs : rate && rate > 0 && update.total > 0 ? ((update.total - update.done) / rate) * 1000 : null;
      const finished = update.total > 0 && update.done >= update.total;
      track.lastDone = update.done;
      const detail = escapeControl(describeProgress(update, rate, eta));
      if (tty) {
        const width = 24;
        const fraction = update.total > 0 ? Math.min(1, update.done / update.total) : 0;
        const filled = Math.round(fraction * width);
        const text = `${escapeControl(key)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${detail}`;
        const columns = stdout.columns ?? 120;
        write(stdout, `\r${text.slice(0, columns - 1).padEnd(Math.min(columns, 120) - 1)}`);
        barShown = true;
        return;
      }
      // Without a terminal: the first report, then one line per interval, and the last one,
      // so a long job shows it is alive (done/total, rate, ETA) without flooding a log.
      if (finished ? !track.finalPrinted : t - track.lastLineMs >= interval) {
        track.lastLineMs = t;
        track.finalPrinted = finished;
        write(stdout, `${escapeControl(key)}: ${detail}\n`);
      }
    },
    endProgress,
    get closed() {
      return closed;
    },
    flush: async () => {
      // A write's EPIPE arrives after `write` returns; an empty write's callback comes after it.
      const settle = (stream: Stream): Promise<void> =>
        closed
          ? Promise.resolve()
          : new Promise((resolve) => {
              try {
                stream.write('', (error) => {
                  if (error) onStreamError();
                  resolve();
                });
              } catch {
                onStreamError();
                resolve();
              }
            });
      await settle(stdout);
      if (stderr !== stdout) await settle(stderr);
    },
    onClosed: (listener) => {
      if (closed) {
        listener();
        return () => {};
      }
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
  };
}

let processOutput: Output | undefined;

/** The process's stdout/stderr output, created once (its stream listeners stay for the life of the process). */
export function processStdio(env: NodeJS.ProcessEnv = process.env): Output {
  const fromEnv = Number(env.RETRAIN_STUDIO_PROGRESS_INTERVAL_MS);
  const progressIntervalMs = env.RETRAIN_STUDIO_PROGRESS_INTERVAL_MS !== undefined && Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : DEFAULT_PROGRESS_INTERVAL_MS;
  processOutput ??= createOutput(process.stdout, process.stderr, { progressIntervalMs });
  return processOutput;
}
