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

export interface FailoverTopology extends SentinelTopology {
  readonly replica: ServerHandle;
  /** Asks the sentinel to promote the replica, and resolves once the sentinels name it as master. */
  failover(): Promise<void>;
}

/**
 * A master, a replica of it, and one sentinel watching both (quorum 1), for failover tests: the
 * sentinel can promote the replica on request (`SENTINEL FAILOVER`), as it would when the master
 * fails, without waiting for a failure to be detected.
 */
export async function startFailoverTopology(masterName = 'failover-master'): Promise<FailoverTopology> {
  const master = await startRedis();
  const started: ServerHandle[] = [master];
  try {
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    started.push(replica);
    await waitFor('replication', async () => /master_link_status:up/.test(String(await ask(replica.port, 'INFO', 'replication'))));
    const sentinel = await startRedis({
      sentinel: true,
      configFile: [`sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`, `sentinel down-after-milliseconds ${masterName} 1000`, `sentinel failover-timeout ${masterName} 5000`, ''].join('\n'),
    });
    started.push(sentinel);
    // The sentinel learns of the replica from the master's INFO, within about ten seconds.
    await waitFor('the sentinel to see the replica', async () => ((await ask(sentinel.port, 'SENTINEL', 'replicas', masterName)) as unknown[]).length === 1);
    const masterPort = async () => Number(((await ask(sentinel.port, 'SENTINEL', 'get-master-addr-by-name', masterName)) as string[])[1]);
    return {
      masterName,
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      master,
      replica,
      sentinel,
      failover: async () => {
        // Refused (NOGOODSLAVE) until the sentinel has a recent enough look at the replica.
        await waitFor('the sentinel to accept the failover', async () => (await ask(sentinel.port, 'SENTINEL', 'FAILOVER', masterName)) === 'OK');
        await waitFor('the replica to become master', async () => (await masterPort()) === replica.port);
      },
      stop: async () => {
        for (const server of started.reverse()) await server.dispose();
      },
    };
  } catch (error) {
    for (const server of started.reverse()) await server.dispose();
    throw error;
  }
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
