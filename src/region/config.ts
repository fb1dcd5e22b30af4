const INT = /^[-+]?\d+$/;
const FLOAT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/**
 * Turns configuration strings into values: integers and floats into numbers, `true`/`false` (any
 * case) into booleans, `None`/`null` into `null`. Other values pass through unchanged.
 */
export function coerceStringConfig(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (INT.test(text) || FLOAT.test(text)) return Number(text);
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
  arguments: Record<string, unknown>;
}

/**
 * Reads `<prefix>backend`, `<prefix>expiration_time`, `<prefix>arguments.<name>` and friends out of
 * a flat object such as an INI section or environment-derived settings, coercing strings.
 */
export function readConfigSection(config: Readonly<Record<string, unknown>>, prefix: string): RegionConfigSection {
  const read = (name: string): unknown => coerceStringConfig(config[prefix + name]);
  const args: Record<string, unknown> = {};
  const argumentsPrefix = `${prefix}arguments.`;
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(argumentsPrefix)) args[key.slice(argumentsPrefix.length)] = coerceStringConfig(value);
  }
  return {
    backend: config[`${prefix}backend`],
    expirationTime: read('expiration_time'),
    replaceExistingBackend: read('replace_existing_backend'),
    lockTimeout: read('lock_timeout'),
    onLockTimeout: read('on_lock_timeout'),
    backgroundRefresh: read('background_refresh'),
    arguments: args,
  };
}
