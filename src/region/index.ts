export { CacheRegion, makeRegion, REGION_HANDLE_KIND } from './region.js';
export type { MultiMapping, RegionEvents, RegionHandle } from './region.js';
export { attachRegion } from './share.js';
export type { AttachOverrides } from './share.js';
export { DefaultInvalidationStrategy } from './invalidation.js';
export type { RegionInvalidationStrategy } from './invalidation.js';
export {
  functionKeyGenerator,
  functionMultiKeyGenerator,
  kwargFunctionKeyGenerator,
  lengthConditionalMangler,
  sha1MangleKey,
  stableToStr,
} from './keys.js';
export type { FunctionKeyGenerator, FunctionMultiKeyGenerator, KeyMangler, KeyTarget, ToStr } from './keys.js';
export { coerceStringConfig } from './config.js';
export type {
  AsyncCreationRunner,
  ConfigureOptions,
  GetOptions,
  GetOrCreateMultiOptions,
  GetOrCreateOptions,
  OnLockTimeout,
  PolicyOptions,
  RegionOptions,
  ResolvedPolicy,
} from './options.js';
export type {
  CachedFunction,
  CachedMultiFunction,
  CacheMultiOnArgumentsOptions,
  CacheOnArgumentsDecorator,
  CacheOnArgumentsOptions,
  DynamicExpiration,
} from './decorators.js';
