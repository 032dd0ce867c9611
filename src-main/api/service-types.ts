/**
 * What adapters (Electron IPC, HTTP server, CLI) get from `createService`: the contract
 * plus event subscription and the few host-side hooks that never cross to a renderer.
 */
import type { AccessPolicy } from '../core/access/index.js';
import type { ApiClient, ApiRequest } from './contract.js';

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
  pickFolder?: (purpose: ApiRequest<'pickFolder'>['purpose']) => Promise<string | null>;
  logger?: Logger;
  /** Models directory override (default `<dataDir>/models`). */
  modelsDir?: string;
  /** Files and folders one dataset scan may meet (default `DEFAULTS.maxDatasetFiles`). */
  maxDatasetFiles?: number;
};

export type Service = ApiClient & {
  /**
   * The folders clients may read and write: opened datasets, model folders, exports, and
   * folders the user chose on the host (dialog, drop, CLI flag) through `access.grant`.
   */
  access: AccessPolicy;
  close(): Promise<void>;
};
