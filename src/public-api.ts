// Everything the package exports except the backend registrations, shared by the main and the
// native-free entry points so both offer the same API.
export * from './region/index.js';
export { NO_VALUE, CachedValue, VALUE_VERSION, isNoValue } from './values.js';
export type { NoValue, ValueMetadata } from './values.js';
export {
  BackendUnavailableError,
  CantDeserializeError,
  DogpileCacheError,
  LockTimeoutError,
  PluginNotFound,
  RegionAlreadyConfigured,
  RegionNotConfigured,
  ValidationError,
  ValueTooLargeError,
} from './errors.js';
export { registerBackend, registeredBackendNames } from './backends/registry.js';
export type { BackendLoader } from './backends/registry.js';
export { ProxyBackend } from './proxy.js';
export { NullBackend } from './backends/null.js';
export { MemoryBackend, MemorySerializedBackend } from './backends/memory.js';
export type { MemoryBackendOptions } from './backends/memory.js';
export { SharedMemoryBackend } from './backends/shared-memory/index.js';
export type { SharedMemoryBackendOptions } from './backends/shared-memory/index.js';
export { FileBackend } from './backends/file/index.js';
export type { FileBackendOptions } from './backends/file/index.js';
export { MemcachedBackend } from './backends/memcached/index.js';
export type { MemcachedBackendOptions } from './backends/memcached/index.js';
export { RedisBackend, RedisClusterBackend, RedisSentinelBackend } from './backends/redis/index.js';
export type { RedisBackendOptions, RedisClusterBackendOptions, RedisSentinelBackendOptions } from './backends/redis/index.js';
export { TieredBackend } from './backends/tiered/index.js';
export type { TierOptions, TieredBackendOptions } from './backends/tiered/index.js';
export { STAT_NAMES } from './backends/api.js';
export type {
  BackendArguments,
  BackendEvent,
  BackendEventSink,
  CacheBackend,
  CacheBackendClass,
  CacheMutex,
  CacheStats,
  InvalidationState,
  InvalidationStore,
  MaybePromise,
  RegionOptionsForBackend,
  StatName,
  StatsStore,
  StoredValue,
  SyncCacheMutex,
  ValueCodec,
} from './backends/api.js';
export { encodeEnvelope, readHeader, HEADER_SIZE, msgpackSerializer, msgpackDeserializer } from './serialization/index.js';
export type { Serializer, Deserializer, EnvelopeHeader } from './serialization/index.js';
export type { Duration } from './time.js';
