// One process of the demo: opens the LMDB region every process shares and stampedes a key.
import { makeRegion } from '../../src/index.js';

const [path, callersText] = process.argv.slice(2);
const callers = Number(callersText);
const region = makeRegion({ name: 'demo' }).configure('lmdb', { expirationTime: '500ms', arguments: { path: path! } });
let creatorCalls = 0;

process.on('message', async (key: string) => {
  const before = creatorCalls;
  const values = await Promise.all(
    Array.from({ length: callers }, () =>
      region.getOrCreate(key, async () => {
        creatorCalls++;
        await new Promise((resolve) => setTimeout(resolve, 250));
        return `rendered at ${new Date().toISOString()} by pid ${process.pid}`;
      }),
    ),
  );
  process.send!({ creatorCalls: creatorCalls - before, values });
});
process.send!('ready');
process.on('disconnect', () => void region.close().then(() => process.exit(0)));
