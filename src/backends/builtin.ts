// Backends that need no native addon. The native-free entry point imports only this file;
// the main entry point adds builtin-native.ts.
import { registerBackend } from './registry.js';
import { NullBackend } from './null.js';
import { MemoryBackend, MemorySerializedBackend } from './memory.js';

registerBackend('null', NullBackend);
registerBackend('memory', MemoryBackend);
registerBackend('memory-serialized', MemorySerializedBackend);
import { SharedMemoryBackend } from './shared-memory/index.js';
registerBackend('shared-memory', SharedMemoryBackend);
import { FileBackend } from './file/index.js';
registerBackend('file', FileBackend);
// Imported statically: a lazy import() from CommonJS could load a second copy of the
// shared modules.
import { RedisBackend, RedisClusterBackend, RedisSentinelBackend } from './redis/index.js';
registerBackend('redis', RedisBackend);
registerBackend('redis-sentinel', RedisSentinelBackend);
registerBackend('redis-cluster', RedisClusterBackend);
// Imported statically (memjs is small and pure JavaScript): a lazy import() from CommonJS would load a
// second copy of the shared modules, with a second NO_VALUE.
import { MemcachedBackend } from './memcached/index.js';
registerBackend('memcached', MemcachedBackend);
