/**
 * Every error this library throws extends {@link DogpileCacheError}, so a caller can catch the
 * whole family with one `instanceof` check. Messages name the offending key, option or value and
 * say what to do about it.
 */
export class DogpileCacheError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `configure()` was called on a region that already has a backend. */
export class RegionAlreadyConfigured extends DogpileCacheError {}

/** A region was used before `configure()` gave it a backend. */
export class RegionNotConfigured extends DogpileCacheError {}

/** An option has a value of the wrong type or range; raised at `configure()` time. */
export class ValidationError extends DogpileCacheError {}

/** No backend is registered under the requested name. */
export class PluginNotFound extends DogpileCacheError {}

/**
 * Thrown by a custom deserializer to say "these bytes are not mine": the read becomes a miss and
 * the value is regenerated, instead of the error reaching the caller.
 */
export class CantDeserializeError extends DogpileCacheError {}

/** A wait for a key's creation lock outlasted `lockTimeout`. */
export class LockTimeoutError extends DogpileCacheError {
  constructor(
    readonly key: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Timed out after ${timeoutMs} ms waiting for the creation lock of key ${JSON.stringify(key)}. ` +
        `Another caller is still creating it; raise lockTimeout, or set onLockTimeout: 'create' to create without the lock.`,
    );
  }
}

/** A value is larger than the backend can store. */
export class ValueTooLargeError extends DogpileCacheError {
  constructor(
    readonly key: string,
    readonly size: number,
    readonly limit: number,
    hint = 'store a smaller value or raise the backend size limit',
  ) {
    super(`Value for key ${JSON.stringify(key)} is ${size} bytes, over the limit of ${limit} bytes; ${hint}.`);
  }
}

/** A backend could not be reached and the region is configured to fail closed. */
export class BackendUnavailableError extends DogpileCacheError {}
