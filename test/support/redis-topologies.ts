// Real Redis topologies for the sentinel and cluster backend tests, started on demand on loopback
// ports and torn down by the caller (`stop()`): a master watched by one sentinel, and a cluster of
// three masters (no replicas) created with `redis-cli --cluster create`.
import { execFile } from 'node:child_process';
import { Redis } from 'ioredis';
import { ensureServerBinaries, startRedis, type ServerHandle } from './servers.js';

const TOPOLOGY_READY_TIMEOUT_MS = 20_000;

export interface SentinelTopology {
  readonly masterName: string;
  /** The sentinel addresses to give the backend. */
  readonly sentinels: Array<{ host: string; port: number }>;
  readonly master: ServerHandle;
  readonly sentinel: ServerHandle;
  stop(): Promise<void>;
}

export interface ClusterTopology {
  readonly nodes: Array<{ host: string; port: number }>;
  readonly servers: ServerHandle[];
  stop(): Promise<void>;
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TOPOLOGY_READY_TIMEOUT_MS;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready within ${TOPOLOGY_READY_TIMEOUT_MS} ms${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs one command on a short-lived connection. */
async function ask(port: number, ...command: string[]): Promise<unknown> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command[0]!, ...command.slice(1));
  } finally {
    client.disconnect();
  }
}

/** A master and one sentinel monitoring it as `masterName` (quorum 1). */
export async function startSentinelTopology(masterName = 'mymaster'): Promise<SentinelTopology> {
  const master = await startRedis();
  let sentinel: ServerHandle | undefined;
  try {
    sentinel = await startRedis({
      sentinel: true,
      configFile: [
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${masterName} 5000`,
        `sentinel failover-timeout ${masterName} 10000`,
        '',
      ].join('\n'),
    });
    const sentinelPort = sentinel.port;
    await waitFor('sentinel', async () => {
      const address = (await ask(sentinelPort, 'SENTINEL', 'get-master-addr-by-name', masterName)) as string[] | null;
      return Array.isArray(address) && Number(address[1]) === master.port;
    });
  } catch (error) {
    await sentinel?.dispose();
    await master.dispose();
    throw error;
  }
  const started = sentinel;
  return {
    masterName,
    sentinels: [{ host: '127.0.0.1', port: started.port }],
    master,
    sentinel: started,
    stop: async () => {
      await started.dispose();
      await master.dispose();
    },
  };
}

function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: TOPOLOGY_READY_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Three cluster-enabled masters joined into one cluster covering all 16384 slots. */
export async function startClusterTopology(): Promise<ClusterTopology> {
  ensureServerBinaries();
  const servers: ServerHandle[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      servers.push(
        await startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '3000'] }),
      );
    }
    await redisCli(['--cluster', 'create', ...servers.map((server) => `127.0.0.1:${server.port}`), '--cluster-yes']);
    await waitFor('cluster', async () => {
      for (const server of servers) {
        const info = String(await ask(server.port, 'CLUSTER', 'INFO'));
        if (!info.includes('cluster_state:ok') || !info.includes('cluster_known_nodes:3')) return false;
      }
      return true;
    });
  } catch (error) {
    await Promise.all(servers.map((server) => server.dispose()));
    throw error;
  }
  return {
    nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })),
    servers,
    stop: async () => {
      await Promise.all(servers.map((server) => server.dispose()));
    },
  };
}
