// A clustered HTTP server: two node:cluster workers share one lmdb region, so a value is created
// once for the whole server however many requests for it arrive at once, in whichever worker.
//
//   GET /value/<key>?ttl=<ms>   the cached value (created on a miss, regenerated on expiry by one
//                               caller while everyone else is served the stale value)
//   GET /creator-calls          creator calls per key, counted by the primary for all workers
//
// Run with `npx tsx examples/cluster-http/server.ts [port] [lmdb path]`; it prints
// `listening on http://127.0.0.1:<port>` once both workers accept requests.
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRegion } from '../../src/index.js';

const WORKERS = 2;

type FromWorker = { type: 'created'; key: string } | { type: 'count-query'; id: number } | { type: 'listening'; port: number };
type ToWorker = { type: 'count-answer'; id: number; counts: Record<string, number> };

if (cluster.isPrimary) {
  const port = Number(process.argv[2] ?? 0);
  const ownPath = process.argv[3] === undefined;
  const path = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'dogpile-cluster-http-'));
  // Workers run this same file; TypeScript through tsx.
  cluster.setupPrimary({ execArgv: ['--import', 'tsx'], args: [String(port), path] });
  const counts: Record<string, number> = {};
  let listening = 0;
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork({ CACHE_PATH: path });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'created') counts[message.key] = (counts[message.key] ?? 0) + 1;
      else if (message.type === 'count-query') worker.send({ type: 'count-answer', id: message.id, counts } satisfies ToWorker);
      else if (message.type === 'listening' && ++listening === WORKERS) console.log(`listening on http://127.0.0.1:${message.port}`);
    });
  }
  const stop = () => {
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    let running = workers.length;
    const done = () => {
      // A cache directory this server made for itself goes with it.
      if (ownPath) rmSync(path, { recursive: true, force: true });
      process.exit(0);
    };
    if (running === 0) done();
    for (const worker of workers) {
      worker.once('exit', () => --running === 0 && done());
      worker.kill();
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const region = makeRegion({ name: 'http' }).configure('lmdb', {
    expirationTime: '30s',
    lockTimeout: '10s',
    arguments: { path: process.env.CACHE_PATH! },
  });
  await region.ready;

  // The expensive work: a slow "database query", reported to the primary so it can count calls.
  const render = async (key: string) => {
    process.send!({ type: 'created', key } satisfies FromWorker);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { key, createdAt: Date.now(), by: process.pid };
  };

  let nextQuery = 0;
  const pending = new Map<number, (counts: Record<string, number>) => void>();
  process.on('message', (message: ToWorker) => {
    if (message.type === 'count-answer') {
      pending.get(message.id)?.(message.counts);
      pending.delete(message.id);
    }
  });

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === '/creator-calls') {
      const id = nextQuery++;
      pending.set(id, (counts) => reply(200, counts));
      process.send!({ type: 'count-query', id } satisfies FromWorker);
      return;
    }
    const match = /^\/value\/([\w:.-]+)$/.exec(url.pathname);
    if (!match) return reply(404, { error: 'try /value/<key> or /creator-calls' });
    const key = match[1]!;
    const ttl = url.searchParams.get('ttl');
    region
      .getOrCreate(key, () => render(key), ttl === null ? undefined : { expirationTime: Number(ttl) })
      .then((value) => reply(200, { value, servedBy: process.pid }))
      .catch((error: unknown) => reply(500, { error: String(error) }));
  });
  server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
    const address = server.address();
    process.send!({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 } satisfies FromWorker);
  });
}
