import { isBackendClass, lookupBackend } from '../backends/registry.js';
import { ValidationError } from '../errors.js';
import { describe } from '../time.js';
import type { ConfigureOptions, RegionOptions } from './options.js';
import { CacheRegion, REGION_HANDLE_KIND, type RegionHandle } from './region.js';

/** What a thread may set for itself when attaching: functions cannot travel in a handle. */
export type AttachOverrides = RegionOptions & Pick<ConfigureOptions, 'wrap' | 'lockTimeout' | 'onLockTimeout' | 'backgroundRefresh' | 'expirationTime' | 'failOpen'>;

/**
 * Builds, in this thread, a region over the storage another thread shared with `region.share()`.
 * Keys, values, locks, invalidation and stats are the same ones that thread sees.
 */
export function attachRegion(handle: RegionHandle, overrides: AttachOverrides = {}): CacheRegion {
  if (handle === null || typeof handle !== 'object' || handle.kind !== REGION_HANDLE_KIND) {
    throw new ValidationError(`attachRegion() needs the handle returned by region.share(); got ${describe(handle)}.`);
  }
  const found = lookupBackend(handle.backend);
  if (!isBackendClass(found) || typeof found.attach !== 'function') {
    throw new ValidationError(`The ${JSON.stringify(handle.backend)} backend cannot be attached from another thread (it has no static attach()).`);
  }
  const { wrap, lockTimeout, onLockTimeout, backgroundRefresh, expirationTime, failOpen, ...regionOptions } = overrides;
  const region = new CacheRegion({ name: handle.name, ...regionOptions });
  region.configure(found.attach(handle.backendHandle), {
    expirationTime: expirationTime ?? (Number.isFinite(handle.policy.expirationMs) ? handle.policy.expirationMs : -1),
    lockTimeout: lockTimeout ?? (Number.isFinite(handle.policy.lockTimeoutMs) ? handle.policy.lockTimeoutMs : -1),
    onLockTimeout: onLockTimeout ?? handle.policy.onLockTimeout,
    backgroundRefresh: backgroundRefresh ?? handle.policy.backgroundRefresh,
    failOpen: failOpen ?? handle.failOpen,
    ...(wrap === undefined ? {} : { wrap }),
  });
  return region;
}
