import { ValidationError } from '../../errors.js';
import { describe } from '../../time.js';
import { readLayout, sectionsOf, type LayoutParams } from './layout.js';

/**
 * What `share()` returns and `SharedMemoryBackend.attach()` takes: structured-cloneable, so it
 * can travel in `workerData` (Piscina included) or a `postMessage`. The buffer is shared, not
 * copied; the layout is read back from the buffer's own header.
 */
export interface SharedMemoryHandle {
  readonly kind: typeof HANDLE_KIND;
  readonly buffer: SharedArrayBuffer;
  /** The per-thread decoded cache size the sharing thread used; an attaching thread may differ. */
  readonly localCacheEntries: number;
}

export const HANDLE_KIND = 'dogpile-cache/shared-memory';

/** Allocates the (all-zero) buffer of a new table; the caller writes its header. */
export function allocateTableBuffer(params: LayoutParams): SharedArrayBuffer {
  const { totalBytes } = sectionsOf(params);
  try {
    return new SharedArrayBuffer(totalBytes);
  } catch (error) {
    throw new ValidationError(
      `shared-memory backend: could not allocate ${totalBytes} bytes of shared memory (${error instanceof Error ? error.message : String(error)}); lower maxBytes or maxEntries.`,
    );
  }
}

/** Checks a handle from another thread and returns its buffer and layout. */
export function openHandle(handle: unknown): { handle: SharedMemoryHandle; params: LayoutParams } {
  const candidate = handle as Partial<SharedMemoryHandle> | null | undefined;
  if (candidate === null || typeof candidate !== 'object' || candidate.kind !== HANDLE_KIND || !(candidate.buffer instanceof SharedArrayBuffer)) {
    throw new ValidationError(
      `SharedMemoryBackend.attach needs the handle returned by share() on a shared-memory backend (or region.share()); got ${describe(handle)}.`,
    );
  }
  const params = readLayout(candidate.buffer);
  if (typeof params === 'string') throw new ValidationError(`SharedMemoryBackend.attach: ${params}.`);
  const localCacheEntries = candidate.localCacheEntries;
  if (typeof localCacheEntries !== 'number' || !Number.isInteger(localCacheEntries) || localCacheEntries < 0) {
    throw new ValidationError(`SharedMemoryBackend.attach: the handle's localCacheEntries must be a non-negative integer; got ${describe(localCacheEntries)}.`);
  }
  return { handle: candidate as SharedMemoryHandle, params };
}
