// Runs the benchmarks, each in its own process, one after the other: `npm run bench` runs them
// all, `npm run bench -- tiered redis` only those named. Each writes bench/results/<name>.md.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`No benchmark named ${unknown.join(', ')}; there are: ${available.join(', ')}.`);
  process.exit(2);
}
for (const name of asked.length > 0 ? asked : available) {
  console.log(`\n=== ${name} ===`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', `${here}${name}.bench.ts`], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`${name}.bench.ts failed (exit ${run.status ?? run.signal}).`);
    process.exit(1);
  }
}
