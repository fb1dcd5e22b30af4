// Fires concurrent requests at the clustered server and prints creator calls per expiry:
// first at a cold key, then at a key with a 1 s expiration time, three times over after it
// expired. With the dogpile lock across the two workers every line should say 1.
//
// Run with `npx tsx examples/cluster-http/load.ts [requests]` (starts server.ts itself), or
// `npx tsx examples/cluster-http/load.ts [requests] http://127.0.0.1:<port>` for a running one.
// The last line is a JSON summary.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REQUESTS = Number(process.argv[2] ?? 200);
const EXPIRIES = 3;
const TTL_MS = 1_000;

interface Answer {
  value: { key: string; createdAt: number; by: number };
  servedBy: number;
}

async function startServer(): Promise<{ base: string; stop(): void }> {
  const server = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const base = await new Promise<string>((resolve, reject) => {
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found) resolve(found[1]!);
    });
    server.once('exit', (code) => reject(new Error(`server exited with code ${code}`)));
  });
  return { base, stop: () => server.kill('SIGTERM') };
}

async function creatorCalls(base: string, key: string): Promise<number> {
  const counts = (await (await fetch(`${base}/creator-calls`)).json()) as Record<string, number>;
  return counts[key] ?? 0;
}

async function burst(base: string, key: string, ttl?: number): Promise<Answer[]> {
  const query = ttl === undefined ? '' : `?ttl=${ttl}`;
  return Promise.all(Array.from({ length: REQUESTS }, async () => (await (await fetch(`${base}/value/${key}${query}`)).json()) as Answer));
}

const given = process.argv[3];
const server = given ? { base: given, stop: () => {} } : await startServer();
const summary: { cold: number; expiries: Array<{ creatorCalls: number; stale: number; fresh: number; workers: number }> } = { cold: 0, expiries: [] };
try {
  const cold = await burst(server.base, 'cold');
  summary.cold = await creatorCalls(server.base, 'cold');
  console.log(`cold key:     ${REQUESTS} concurrent requests → creator calls: ${summary.cold}, distinct values: ${new Set(cold.map((a) => a.value.createdAt)).size}, served by ${new Set(cold.map((a) => a.servedBy)).size} workers`);

  await burst(server.base, 'expiring', TTL_MS);
  for (let round = 1; round <= EXPIRIES; round++) {
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 200));
    const before = await creatorCalls(server.base, 'expiring');
    const started = Date.now();
    const answers = await burst(server.base, 'expiring', TTL_MS);
    const calls = (await creatorCalls(server.base, 'expiring')) - before;
    const stale = answers.filter((answer) => answer.value.createdAt < started).length;
    summary.expiries.push({ creatorCalls: calls, stale, fresh: answers.length - stale, workers: new Set(answers.map((a) => a.servedBy)).size });
    console.log(`expiry ${round}:     ${REQUESTS} concurrent requests → creator calls: ${calls}, served stale: ${stale}, fresh: ${answers.length - stale}`);
  }
} finally {
  server.stop();
}
console.log(JSON.stringify(summary));
