/**
 * `startServe`: what `retrain-studio serve` and `npm start` (without Electron) run: create
 * the service, start the HTTP server, print the URL, shut down cleanly on SIGINT/SIGTERM.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreError } from '../api/contract.js';
import type { Logger, Service, ServiceOptions } from '../api/service-types.js';
import { readConfined } from '../core/access/index.js';
import { defaultDataDir } from '../core/paths.js';
import { createServer, type RunningServer } from './http-server.js';
import { checkToken } from './security.js';

/** Options of `startServe` (what the CLI's `serve` flags map to). */
export type ServeOptions = {
  /** Address to bind; default `127.0.0.1`. */
  host?: string;
  /**
   * TCP port (0 = any free one). Default: `$RETRAIN_STUDIO_SERVE_PORT` or `DEFAULT_SERVE_PORT`
   * (7860, where `npx vite` proxies to), falling back to a free port when that one is taken.
   * An explicit port that is taken is an error.
   */
  port?: number;
  /**
   * Token clients must present (always required). Default: the first line of `tokenFile`,
   * else `$RETRAIN_STUDIO_TOKEN`, else a random one, printed in the URL. Never taken from the
   * command line, where every user of the machine can read it (`ps`).
   */
  token?: string;
  /** A file whose first line is the token (e.g. `--token-file ~/.retrain-studio-token`, mode 600). */
  tokenFile?: string;
  /** Where `RETRAIN_STUDIO_TOKEN` is read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** App data folder; default `defaultDataDir()` ($RETRAIN_STUDIO_DATA_DIR or the platform's app-data dir). */
  dataDir?: string;
  /** Runs folder (retrain.py's --summaries_dir); default `<dataDir>/runs`. */
  runsDir?: string;
  /** Bottleneck cache folder (retrain.py's --bottleneck_dir); default `<dataDir>/bottlenecks`. */
  cacheDir?: string;
  /** Models folder; default `<dataDir>/models`. */
  modelsDir?: string;
  /** The built renderer; default `<package root>/dist/renderer` when it exists. */
  staticDir?: string;
  /** Receives the single line announcing the URL; default `console.log`. */
  print?: (line: string) => void;
  /** Service and server diagnostics; default stderr. */
  logger?: Logger;
  /** Close everything on SIGINT/SIGTERM; default true. A second signal kills the process. */
  handleSignals?: boolean;
  /** Factory of the service; default `createService` from `src-main/api/service.ts` (tests inject a fake). */
  createService?: (options: ServiceOptions) => Promise<Service>;
};

/** A running `serve`: the server plus the service it owns. */
export type ServeHandle = RunningServer & {
  service: Service;
  dataDir: string;
  /** Resolves once everything is closed, by `close()` or by a signal. */
  closed: Promise<void>;
};

/** The environment variable `serve` reads its token from. */
export const TOKEN_ENV = 'RETRAIN_STUDIO_TOKEN';

/**
 * The token `serve` requires, and where it came from: `token` when given, else the first line
 * of `tokenFile` (a regular file of at most 4 KiB), else `$RETRAIN_STUDIO_TOKEN`, else
 * undefined (the server then generates one).
 * @throws CoreError NOT_FOUND / PATH_NOT_ALLOWED / TOO_LARGE for an unusable token file,
 *   INVALID_ARGUMENT for an empty one.
 */
export async function resolveServeToken(options: Pick<ServeOptions, 'token' | 'tokenFile' | 'env'>): Promise<{ token?: string; source: string }> {
  if (options.token !== undefined) return { token: options.token, source: 'the caller' };
  if (options.tokenFile !== undefined) {
    const file = path.resolve(options.tokenFile);
    const { bytes } = await readConfined(file, { maxBytes: 4096, label: `The token file ${file}` });
    const token = bytes.toString('utf8').split(/\r?\n/)[0].trim();
    if (token === '') throw new CoreError('INVALID_ARGUMENT', `The token file ${file} is empty; put the token on its first line.`);
    return { token, source: file };
  }
  const fromEnv = (options.env ?? process.env)[TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { token: fromEnv, source: `$${TOKEN_ENV}` };
  return { source: 'generated' };
}

/** The port `serve` tries first when none is given (the Vite dev server proxies to it). */
export const DEFAULT_SERVE_PORT = 7860;

const stderrLogger: Logger = {
  info: (message) => console.error(`retrain-studio: ${message}`),
  warn: (message) => console.error(`retrain-studio: warning: ${message}`),
  error: (message) => console.error(`retrain-studio: error: ${message}`),
};

/**
 * The built renderer folder of this installation: `dist/renderer` under the package root
 * (found by walking up from this file to Retrain Studio's package.json), or undefined when
 * the renderer has not been built.
 */
export function defaultStaticDir(from: string = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'retrain-studio') {
          const candidate = path.join(dir, 'dist', 'renderer');
          return existsSync(path.join(candidate, 'index.html')) ? candidate : undefined;
        }
      } catch {
        // An unreadable package.json belongs to something else; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Starts `serve`: creates the service on `dataDir`, starts the server, prints one line with
 * the URL to open, with its `#token=…` (the token is always required), and, unless disabled,
 * closes the server and the service on SIGINT/SIGTERM. It never exits the process: when
 * everything is closed, Node exits by itself (the CLI may await `closed`).
 * @throws Error when the port cannot be bound; whatever `createService` throws.
 */
export async function startServe(options: ServeOptions = {}): Promise<ServeHandle> {
  const logger = options.logger ?? stderrLogger;
  const print = options.print ?? ((line: string) => console.log(line));
  const dataDir = path.resolve(options.dataDir ?? defaultDataDir());
  // Before the service starts: a bad token file or a weak token fails fast.
  const { token } = await resolveServeToken(options);
  if (token !== undefined) checkToken(token);
  const makeService =
    options.createService ?? (async (serviceOptions: ServiceOptions) => (await import('../api/service.js')).createService(serviceOptions));
  const service = await makeService({
    dataDir,
    runsDir: options.runsDir,
    cacheDir: options.cacheDir,
    modelsDir: options.modelsDir,
    logger,
  });
  const envPort = process.env.RETRAIN_STUDIO_SERVE_PORT;
  const preferredPort = options.port ?? (envPort ? Number(envPort) : DEFAULT_SERVE_PORT);
  const start = (port: number) =>
    createServer({
      service,
      host: options.host,
      port,
      token,
      staticDir: options.staticDir ?? defaultStaticDir(),
      logger,
      // The folder the service lets clients read (service.ts's dataFolders): uploads open as any dataset.
      uploadsDir: path.join(dataDir, 'uploads'),
    });
  let server: RunningServer;
  try {
    try {
      server = await start(preferredPort);
    } catch (error) {
      // Only the default port may be swapped for a free one; an explicit port must be honoured.
      if (options.port !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      logger.info(`port ${preferredPort} is in use; serving on a free port instead.`);
      server = await start(0);
    }
  } catch (error) {
    await service.close();
    throw error;
  }

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info(`${signal} received; stopping (press Ctrl+C again to force).`);
    close().catch((error: unknown) => logger.error(`shutdown failed: ${String(error)}`));
  };
  const removeSignalHandlers = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      removeSignalHandlers();
      try {
        await server.close();
      } finally {
        await service.close();
        resolveClosed();
      }
    })();
    return closing;
  };
  if (options.handleSignals ?? true) {
    // `once`: after the first signal the default handler is back, so a second one kills a stuck shutdown.
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  print(`Retrain Studio is serving at ${server.openUrl}`);
  return { ...server, service, dataDir, closed, close };
}
