// The Lua scripts behind the distributed lock and fenced writes. Each runs atomically on the
// server, so one script call is one round trip. They are sent as EVALSHA; a server that does not
// know a script yet (first use, or after a restart) answers NOSCRIPT and gets it once as EVAL,
// which also caches it for the next EVALSHA.
import { createHash } from 'node:crypto';
import type { RedisClient } from './connection.js';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
  readonly numberOfKeys: number;
}

function script(name: string, numberOfKeys: number, lua: string): LuaScript {
  return { name, lua, numberOfKeys, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Takes the lock and issues a fencing generation.
 * KEYS: lock, fencing record. ARGV: token, lease ms, fencing record TTL ms (0: none).
 * Returns the generation (a decimal string) when taken, else the lock's remaining TTL in ms (an
 * integer; -1 when it has none), which tells a waiter when to look again.
 *
 * Generations count up per key, and never start below the server's clock in microseconds, so they
 * keep increasing even when the fencing record was evicted or expired.
 */
export const ACQUIRE = script(
  'acquire',
  2,
  `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local time = redis.call('TIME')
  local clock = tonumber(time[1]) * 1000000 + tonumber(time[2])
  local generation = tonumber(redis.call('HGET', KEYS[2], 'issued') or '0') + 1
  if generation < clock then generation = clock end
  local text = string.format('%.0f', generation)
  redis.call('HSET', KEYS[2], 'issued', text)
  if ARGV[3] ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
  return text
end
return redis.call('PTTL', KEYS[1])
`,
);

/**
 * Releases the lock only if it still carries our token, and announces the release to waiters.
 * KEYS: lock. ARGV: token, channel, message. Returns 1 when released, 0 when the lock was no
 * longer ours (the lease ran out; it expired or belongs to someone else now, and is left alone).
 */
export const RELEASE = script(
  'release',
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
`,
);

/**
 * Extends the lease if the lock still carries our token. KEYS: lock. ARGV: token, lease ms.
 * Returns 1 when extended, 0 when the lock is no longer ours.
 */
export const RENEW = script(
  'renew',
  1,
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`,
);

/**
 * Writes a value created under the lock, unless a holder with a newer generation already wrote.
 * KEYS: value, fencing record. ARGV: value, generation, value TTL ms (0: none), fencing record
 * TTL ms (0: none). Returns 1 when written, 0 when refused.
 */
export const FENCED_SET = script(
  'fencedSet',
  2,
  `
local written = redis.call('HGET', KEYS[2], 'written')
if written and tonumber(written) > tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
end
redis.call('HSET', KEYS[2], 'written', ARGV[2])
if ARGV[4] ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return 1
`,
);

type ScriptArgument = string | number | Buffer;

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Runs a script with EVALSHA, falling back to EVAL once when the server does not have it cached. */
export async function runScript(client: RedisClient, lua: LuaScript, keys: readonly string[], args: readonly ScriptArgument[]): Promise<unknown> {
  try {
    return await client.evalsha(lua.sha, lua.numberOfKeys, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.eval(lua.lua, lua.numberOfKeys, ...keys, ...args);
  }
}

/**
 * Records a region-wide invalidation unless a later one is already recorded, and announces it.
 * KEYS: invalidation record. ARGV: time (epoch ms), 1 for hard / 0 for soft, channel, TTL ms (0:
 * none). The record and the message are `<time>:<hard>`. Returns 1 when recorded, 0 when older.
 */
export const INVALIDATE = script(
  'invalidate',
  1,
  `
local current = redis.call('GET', KEYS[1])
if current then
  local at = tonumber(string.match(current, '^(%d+):'))
  if at and at > tonumber(ARGV[1]) then return 0 end
end
local record = ARGV[1] .. ':' .. ARGV[2]
if ARGV[4] == '0' then
  redis.call('SET', KEYS[1], record)
else
  redis.call('SET', KEYS[1], record, 'PX', ARGV[4])
end
redis.call('PUBLISH', ARGV[3], record)
return 1
`,
);
