const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * Turns configuration strings into values, after trimming them: integers and floats into numbers,
 * `true`/`false` (any case) into booleans, `None`/`null` into `null`; other strings come back
 * trimmed, other values unchanged. An integer beyond `Number.MAX_SAFE_INTEGER` stays a string
 * rather than being silently rounded (Python's `int` is exact; a double is not).
 */
export function coerceStringConfig(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (INT.test(text)) {
    const number = Number(text);
    return Number.isSafeInteger(number) ? number : text;
  }
  if (FLOAT.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (text === 'None' || lower === 'null') return null;
  return text;
}

/** The parts of a flat configuration object that concern one region. */
export interface RegionConfigSection {
  backend: unknown;
  expirationTime: unknown;
  replaceExistingBackend: unknown;
  lockTimeout: unknown;
  onLockTimeout: unknown;
  backgroundRefresh: unknown;
  failOpen: unknown;
  arguments: Record<string, unknown>;
}

/**
 * Reads `<prefix>backend`, `<prefix>expiration_time`, `<prefix>arguments.<name>` and friends out of
 * a flat object such as an INI section or environment-derived settings, coercing strings.
 */
export function readConfigSection(config: Readonly<Record<string, unknown>>, prefix: string): RegionConfigSection {
  const read = (name: string): unknown => coerceStringConfig(config[prefix + name]);
  const backendName = config[`${prefix}backend`];
  const args: Record<string, unknown> = {};
  const argumentsPrefix = `${prefix}arguments.`;
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(argumentsPrefix)) args[key.slice(argumentsPrefix.length)] = coerceStringConfig(value);
  }
  return {
    // Not coerced: a backend may well be named "null".
    backend: typeof backendName === 'string' ? backendName.trim() : backendName,
    expirationTime: read('expiration_time'),
    replaceExistingBackend: read('replace_existing_backend'),
    lockTimeout: read('lock_timeout'),
    onLockTimeout: read('on_lock_timeout'),
    backgroundRefresh: read('background_refresh'),
    failOpen: read('fail_open'),
    arguments: args,
  };
}
