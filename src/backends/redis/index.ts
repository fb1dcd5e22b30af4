// The Redis backends: `redis` (one server), `redis-sentinel` (the master named by sentinels) and
// `redis-cluster` (a Redis Cluster). All three store envelope bytes, keep a store-level TTL, and
// provide a distributed creation lock with lease renewal, pub/sub wake-ups and fencing.
export { RedisBackend } from './redis-backend.js';
export { RedisSentinelBackend } from './sentinel-backend.js';
export { RedisClusterBackend } from './cluster-backend.js';
export type { RedisShareHandle } from './backend-core.js';
export type {
  ClusterNodeOption,
  RedisAuthOptions,
  RedisBackendOptions,
  RedisClusterBackendOptions,
  RedisCommonOptions,
  RedisSentinelBackendOptions,
  SentinelAddressOption,
} from './options.js';
