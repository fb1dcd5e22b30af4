// Backends that need no native addon. The native-free entry point imports only this file;
// the main entry point adds builtin-native.ts. Every backend is imported statically: a lazy
// import() from the CommonJS build could load a second copy of the shared modules (and with it
// a second NO_VALUE).
import { FileBackend } from './file/index.js';
import { MemcachedBackend } from './memcached/index.js';
import { MemoryBackend, MemorySerializedBackend } from './memory.js';
import { NullBackend } from './null.js';
import { RedisBackend, RedisClusterBackend, RedisSentinelBackend } from './redis/index.js';
import { registerBackend } from './registry.js';
import { SharedMemoryBackend } from './shared-memory/index.js';
import { TieredBackend } from './tiered/index.js';

registerBackend('null', NullBackend);
registerBackend('memory', MemoryBackend);
registerBackend('memory-serialized', MemorySerializedBackend);
registerBackend('shared-memory', SharedMemoryBackend);
registerBackend('file', FileBackend);
registerBackend('redis', RedisBackend);
registerBackend('redis-sentinel', RedisSentinelBackend);
registerBackend('redis-cluster', RedisClusterBackend);
registerBackend('memcached', MemcachedBackend);
registerBackend('tiered', TieredBackend);
