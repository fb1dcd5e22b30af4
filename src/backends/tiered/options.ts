// The `tiered` backend's arguments: the tiers, nearest first.
import { ValidationError } from '../../errors.js';
import { describe } from '../../time.js';
import type { BackendArguments, CacheBackendClass } from '../api.js';
import { isBackendClass, lookupBackend, registeredNameOf } from '../registry.js';

/** One tier of a `tiered` backend. */
export interface TierOptions {
  /**
   * The tier's backend: a registered name (`'shared-memory'`, `'lmdb'`, `'redis'`, ...) or a
   * backend class. A name registered with an async loader cannot be a tier: register the class.
   */
  backend: string | CacheBackendClass;
  /** The tier backend's own arguments, as `configure()` would take them. Default: `{}`. */
  arguments?: BackendArguments;
}

/** Arguments of the `tiered` backend. */
export interface TieredBackendOptions {
  /**
   * The tiers, nearest (fastest, narrowest) first: for example shared memory for the threads of a
   * process, then lmdb for the processes of a host, then Redis for every host. At least two.
   */
  tiers: readonly TierOptions[];
}

/** A tier resolved to its class. */
export interface ResolvedTier {
  /** The registered name, or the class name when the class is not registered. */
  readonly name: string;
  readonly backendClass: CacheBackendClass;
  readonly args: BackendArguments;
}

export function resolveTiers(args: BackendArguments): ResolvedTier[] {
  const unknown = Object.keys(args).filter((name) => name !== 'tiers');
  if (unknown.length > 0) {
    throw new ValidationError(`tiered backend: unknown option ${unknown.map((name) => JSON.stringify(name)).join(', ')}; its only option is tiers.`);
  }
  const tiers = args.tiers;
  if (!Array.isArray(tiers) || tiers.length < 2) {
    throw new ValidationError(
      `tiered backend: tiers must be an array of at least two { backend, arguments } objects, nearest first; got ${describe(tiers)}.`,
    );
  }
  return tiers.map((tier: unknown, index) => resolveTier(tier, index));
}

function resolveTier(tier: unknown, index: number): ResolvedTier {
  const where = `tiered backend: tiers[${index}]`;
  if (tier === null || typeof tier !== 'object') throw new ValidationError(`${where} must be a { backend, arguments } object; got ${describe(tier)}.`);
  const { backend, arguments: tierArgs = {}, ...rest } = tier as { backend?: unknown; arguments?: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new ValidationError(`${where}: unknown field ${extra.map((name) => JSON.stringify(name)).join(', ')}; a tier has backend and arguments.`);
  if (tierArgs === null || typeof tierArgs !== 'object') throw new ValidationError(`${where}.arguments must be an object; got ${describe(tierArgs)}.`);
  if (backend === 'tiered') throw new ValidationError(`${where}: a tier cannot itself be tiered; list its tiers here instead.`);
  if (typeof backend === 'function') {
    if (!isBackendClass(backend as CacheBackendClass)) throw new ValidationError(`${where}.backend is a function but not a backend class (no get method).`);
    const backendClass = backend as CacheBackendClass;
    return { name: registeredNameOf(backendClass.prototype as object) ?? backendClass.name, backendClass, args: tierArgs as BackendArguments };
  }
  if (typeof backend !== 'string') throw new ValidationError(`${where}.backend must be a backend name or class; got ${describe(backend)}.`);
  const found = lookupBackend(backend);
  if (!isBackendClass(found)) {
    throw new ValidationError(`${where}: the ${JSON.stringify(backend)} backend is registered with an async loader; register its class to use it as a tier.`);
  }
  return { name: backend, backendClass: found, args: tierArgs as BackendArguments };
}
