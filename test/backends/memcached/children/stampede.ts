// One of several processes (standing in for hosts) that stampede a key through a region over the
// same memcached. Arguments: servers, prefix. Commands arrive over IPC:
//   { type: 'go', key, callers, expirationTime, creatorDelayMs } → { type: 'done', creatorCalls, results }
import { makeRegion } from '../../../../src/index.js';

const [servers, prefix] = process.argv.slice(2) as [string, string];
const region = makeRegion({ name: 'stampede' }).configure('memcached', {
  expirationTime: '1m',
  lockTimeout: '20s',
  arguments: { servers, prefix },
});

interface Go {
  type: 'go';
  key: string;
  callers: number;
  expirationTime: string;
  creatorDelayMs: number;
}

process.on('message', (message: Go | { type: 'exit' }) => {
  if (message.type === 'exit') {
    void region.close().then(() => process.exit(0));
    return;
  }
  void (async () => {
    let creatorCalls = 0;
    const creator = async (): Promise<string> => {
      creatorCalls++;
      await new Promise((resolve) => setTimeout(resolve, message.creatorDelayMs));
      return `new from ${process.pid}`;
    };
    const results = await Promise.all(
      Array.from({ length: message.callers }, () => region.getOrCreate(message.key, creator, { expirationTime: message.expirationTime as '1s' })),
    );
    process.send!({ type: 'done', creatorCalls, results });
  })().catch((error: unknown) => process.send!({ type: 'failed', error: String(error) }));
});

// Open the connection before reporting ready, so every process starts the stampede warm.
void region.get('warm-up').then(() => process.send!({ type: 'ready' }));
