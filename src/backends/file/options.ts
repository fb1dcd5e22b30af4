// The options of the `file` backend, their defaults, and their validation at construction.
import type { BackendArguments } from '../api.js';
import {
  LOCAL_STORE_OPTION_NAMES,
  OptionReader,
  checkArgumentsObject,
  readLocalStoreOptions,
  type LocalStoreOptions,
  type LocalStoreSettings,
} from '../local-store/index.js';

/** Arguments of the `file` backend (the `arguments` object of `configure()`). */
export interface FileBackendOptions extends LocalStoreOptions {
  /**
   * Directory that holds one file per entry, the lock files and the invalidation state (created
   * if missing). Every process and thread that uses the same directory shares them. Required.
   */
  directory: string;
}

export interface FileSettings extends LocalStoreSettings {
  readonly directory: string;
}

const FILE_OPTION_NAMES = ['directory', ...LOCAL_STORE_OPTION_NAMES] as const;

export function resolveFileOptions(input: BackendArguments | undefined): FileSettings {
  const args = checkArgumentsObject('file', input);
  const reader = new OptionReader('file', args);
  reader.rejectUnknown(FILE_OPTION_NAMES);
  const directory = reader.requiredString('directory', 'the cache directory shared by every process, e.g. "/var/cache/my-app"');
  return { directory, ...readLocalStoreOptions(reader) };
}
