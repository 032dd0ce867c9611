/** Terminal output for the CLI: a redrawn progress bar on a TTY, plain lines otherwise. */
export type Output = {
  line(text: string): void;
  error(text: string): void;
  /** A progress report; on a TTY one redrawn bar per `key`, else a line every 10%. */
  progress(key: string, done: number, total: number, detail: string): void;
  endProgress(): void;
};

/** Output to the given streams (default process.stdout / process.stderr). */
export function createOutput(stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Output {
  const tty = Boolean(stdout.isTTY);
  let barShown = false;
  const lastDecile = new Map<string, number>();
  const endProgress = (): void => {
    if (barShown) stdout.write('\n');
    barShown = false;
  };
  return {
    line: (text) => {
      endProgress();
      stdout.write(`${text}\n`);
    },
    error: (text) => {
      endProgress();
      stderr.write(`${text}\n`);
    },
    progress: (key, done, total, detail) => {
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      if (tty) {
        const width = 24;
        const filled = Math.round(fraction * width);
        const text = `${key} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}`;
        stdout.write(`\r${text.slice(0, (stdout.columns ?? 120) - 1).padEnd(Math.min(stdout.columns ?? 120, 120) - 1)}`);
        barShown = true;
        return;
      }
      const decile = Math.floor(fraction * 10);
      if (decile !== lastDecile.get(key)) {
        lastDecile.set(key, decile);
        stdout.write(`${key}: ${(fraction * 100).toFixed(0)}% ${detail}\n`);
      }
    },
    endProgress,
  };
}
