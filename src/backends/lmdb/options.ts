// The options of the `lmdb` backend, their defaults, and their validation at construction.
import type { BackendArguments } from '../api.js';
import {
  LOCAL_STORE_OPTION_NAMES,
  OptionReader,
  checkArgumentsObject,
  readLocalStoreOptions,
  type LocalStoreOptions,
  type LocalStoreSettings,
} from '../local-store/index.js';

/** Arguments of the `lmdb` backend (the `arguments` object of `configure()`). */
export interface LmdbBackendOptions extends LocalStoreOptions {
  /**
   * Directory of the LMDB environment (created if missing). Every process and thread that opens
   * the same path shares the entries, the creation locks and the invalidation state. Required.
   */
  path: string;
  /**
   * Skip flushing commits to disk. A cache needs no durability across power loss, and without
   * the flush a synchronous write is tens of times faster; after a crash of the machine (not of
   * a process) the store may lose recent writes or have to be deleted. Default `true`.
   */
  noSync?: boolean;
  /**
   * Initial size of the memory map in bytes; LMDB grows it on demand, so this only avoids early
   * remaps for large stores. Default: lmdb's own.
   */
  mapSize?: number;
}

export interface LmdbSettings extends LocalStoreSettings {
  readonly path: string;
  readonly noSync: boolean;
  readonly mapSize: number | undefined;
}

const LMDB_OPTION_NAMES = ['path', 'noSync', 'mapSize', ...LOCAL_STORE_OPTION_NAMES] as const;

export function resolveLmdbOptions(input: BackendArguments | undefined): LmdbSettings {
  const args = checkArgumentsObject('lmdb', input);
  const reader = new OptionReader('lmdb', args);
  reader.rejectUnknown(LMDB_OPTION_NAMES);
  const path = reader.requiredString('path', 'the directory of the LMDB environment shared by every process, e.g. "/var/cache/my-app"');
  const mapSize = args.mapSize === undefined || args.mapSize === null ? undefined : reader.integer('mapSize', 0, 65_536, Number.MAX_SAFE_INTEGER);
  return {
    path,
    noSync: reader.boolean('noSync', true),
    mapSize,
    ...readLocalStoreOptions(reader),
  };
}
