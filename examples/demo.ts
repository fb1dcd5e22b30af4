// The dogpile lock at work: a stampede on a cold key, then on an expired one, costs one creator
// call each. Run with `npm run demo`.
import { makeRegion } from '../src/index.js';

const CALLERS = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stampede(label: string, region: ReturnType<typeof makeRegion>, key: string): Promise<void> {
  let creatorCalls = 0;
  const started = Date.now();
  const creator = async () => {
    creatorCalls++;
    await sleep(50); // an expensive query or render
    return { renderedAt: new Date().toISOString() };
  };
  const before = region.stats();
  const values = await Promise.all(Array.from({ length: CALLERS }, () => region.getOrCreate(key, creator)));
  const after = region.stats();
  const distinct = new Set(values.map((value) => value.renderedAt)).size;
  console.log(
    `${label.padEnd(12)} ${CALLERS} concurrent getOrCreate → creator calls: ${creatorCalls}, ` +
      `stale values served: ${after.staleServed - before.staleServed}, waited for the creation: ${after.lockWaits - before.lockWaits}, ` +
      `distinct values: ${distinct}, ${Date.now() - started} ms`,
  );
}

const region = makeRegion({ name: 'demo' }).configure('memory', { expirationTime: '200ms' });

console.log('dogpile-cache demo: memory backend, expirationTime 200ms, creator takes 50 ms\n');
await stampede('cold key', region, 'report');
await sleep(250);
await stampede('expired key', region, 'report');
console.log('\nstats:', region.stats());
await region.close();
