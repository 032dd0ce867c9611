/**
 * What adapters (Electron IPC, HTTP server, CLI) get from `createService`: the contract
 * plus event subscription and the few host-side hooks that never cross to a renderer.
 */
import type { ApiClient } from './contract.js';

export type Logger = {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
};

export type ServiceOptions = {
  /** App data folder: models/, bottlenecks/, runs/, exports/, settings.json. */
  dataDir: string;
  /** Where runs are stored (retrain.py's --summaries_dir); default `<dataDir>/runs`. */
  runsDir?: string;
  /** Where bottlenecks are cached (retrain.py's --bottleneck_dir); default `<dataDir>/bottlenecks`. */
  cacheDir?: string;
  /** Host folder picker (Electron's dialog); absent in serve/CLI, where pickFolder resolves null. */
  pickFolder?: (purpose: 'dataset' | 'model' | 'export') => Promise<string | null>;
  logger?: Logger;
  /** Models directory override (default `<dataDir>/models`). */
  modelsDir?: string;
};

export type Service = ApiClient & {
  /**
   * Resolves a file a client wants to display (thumbnail, classify by path). Allowed only
   * inside an opened dataset folder, a model folder or an export the app wrote; anything
   * else throws CoreError('PATH_NOT_ALLOWED'). Symlinks are resolved before the check.
   */
  resolveReadablePath(file: string): Promise<string>;
  /** A JPEG thumbnail of an allowed image (cached in memory). */
  thumbnail(file: string, sizePx: number): Promise<Buffer>;
  /**
   * Marks a folder the user chose on the host (dialog, CLI flag) as readable, and with
   * `write` also as an export destination. Default `read`.
   */
  grantPath(dir: string, access?: 'read' | 'write'): void;
  close(): Promise<void>;
};
