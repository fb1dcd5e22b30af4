import Benchmark from 'benchmark';
import { chartSvg } from './chart.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A measured operation: synchronous, or asynchronous (returns a promise; measured as deferred). */
export type BenchFn = () => unknown;

export interface BenchCase {
  /** Row label. */
  name: string;
  fn: BenchFn;
  /** True when `fn` returns a promise that must settle before the next call. */
  async?: boolean;
}

export interface BenchRow {
  name: string;
  hz: number;
  rme: number;
  samples: number;
}

export interface BenchTable {
  title: string;
  rows: BenchRow[];
}

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/**
 * Runs each case in its own `Benchmark` (each with its own compiled loop, so one function's
 * shape cannot slow another's) one after the other in this process, and returns ops/s.
 */
export async function runCases(title: string, cases: BenchCase[], options: { maxTime?: number; rounds?: number } = {}): Promise<BenchTable> {
  const rounds = options.rounds ?? 1;
  if (rounds > 1) return runRounds(title, cases, rounds, options.maxTime ?? 1);
  const rows: BenchRow[] = [];
  for (const benchCase of cases) {
    const bench = benchCase.async
      ? new Benchmark(benchCase.name, {
          defer: true,
          maxTime: options.maxTime ?? 2,
          fn: (deferred: { resolve(): void }) => {
            (benchCase.fn() as Promise<unknown>).then(
              () => deferred.resolve(),
              (error: unknown) => {
                console.error(error);
                deferred.resolve();
              },
            );
          },
        })
      : new Benchmark(benchCase.name, { maxTime: options.maxTime ?? 2, fn: benchCase.fn });
    await new Promise<void>((resolve, reject) => {
      bench.on('complete', () => resolve());
      bench.on('error', (event: { target: { error?: unknown } }) => reject(event.target.error));
      bench.run({ async: true });
    });
    const row = { name: benchCase.name, hz: bench.hz, rme: bench.stats.rme, samples: bench.stats.sample.length };
    rows.push(row);
    console.log(`  ${row.name}: ${formatHz(row.hz)} ops/s ±${row.rme.toFixed(1)}%`);
  }
  return { title, rows };
}

/**
 * Runs every case `rounds` times, interleaved (A B C, A B C, ...), and reports each case's median
 * round: a noisy neighbour or a GC pause then lands on one round of every case rather than on
 * all rounds of one case.
 */
async function runRounds(title: string, cases: BenchCase[], rounds: number, maxTime: number): Promise<BenchTable> {
  const samples = new Map<string, BenchRow[]>(cases.map((benchCase) => [benchCase.name, []]));
  for (let round = 0; round < rounds; round++) {
    const table = await runCases(`${title} (round ${round + 1})`, cases, { maxTime });
    for (const row of table.rows) samples.get(row.name)!.push(row);
  }
  const rows = cases.map((benchCase) => {
    const sorted = [...samples.get(benchCase.name)!].sort((a, b) => a.hz - b.hz);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return { ...median, samples: sorted.length };
  });
  return { title: `${title} (median of ${rounds} interleaved rounds)`, rows };
}

export function formatHz(hz: number): string {
  return hz >= 1e6 ? `${(hz / 1e6).toFixed(2)}M` : hz >= 1e3 ? `${(hz / 1e3).toFixed(1)}k` : hz.toFixed(0);
}

/** A ratio line: `ours / baseline`, named, with the target it is compared against. */
export interface Ratio {
  name: string;
  ours: string;
  baseline: string;
  target?: number;
}

export function ratioOf(table: BenchTable, ours: string, baseline: string): number {
  const a = table.rows.find((row) => row.name === ours);
  const b = table.rows.find((row) => row.name === baseline);
  if (!a || !b) throw new Error(`ratio ${ours} / ${baseline}: row missing in ${table.title}`);
  return a.hz / b.hz;
}

/**
 * Renders tables and ratios as Markdown and writes them to `bench/results/<file>`, with the tables
 * as a bar chart next to it (`<name>.svg`).
 */
export function writeResults(file: string, heading: string, tables: BenchTable[], ratios: Array<Ratio & { table: BenchTable }>, notes: string[] = []): string {
  const svgFile = file.replace(/\.md$/, '.svg');
  const lines = [`# ${heading}`, '', `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ops/s, higher is better.`, '', `![${heading}](${svgFile})`, ''];
  for (const table of tables) {
    lines.push(`## ${table.title}`, '', '| case | ops/s | ± | samples |', '| --- | ---: | ---: | ---: |');
    for (const row of table.rows) lines.push(`| ${row.name} | ${formatHz(row.hz)} | ${row.rme.toFixed(1)}% | ${row.samples} |`);
    lines.push('');
  }
  if (ratios.length > 0) {
    lines.push('## Ratios (same run)', '', '| ratio | value | target | met |', '| --- | ---: | ---: | :---: |');
    for (const ratio of ratios) {
      const value = ratioOf(ratio.table, ratio.ours, ratio.baseline);
      const met = ratio.target === undefined ? '' : value >= ratio.target ? 'yes' : 'no';
      lines.push(`| ${ratio.name} | ${value.toFixed(2)}× | ${ratio.target === undefined ? '' : `≥ ${ratio.target}×`} | ${met} |`);
    }
    lines.push('');
  }
  if (notes.length > 0) lines.push(...notes.map((note) => `- ${note}`), '');
  const text = lines.join('\n');
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, file), text);
  writeFileSync(join(RESULTS_DIR, svgFile), chartSvg(heading, tables, formatHz));
  console.log(text);
  return text;
}

/**
 * For a baseline measured twice, first and last (the first case of a run tends to be measured
 * cold on a shared machine): adds a row with the better of `<baseline>` and `<baseline> (again)`
 * and returns its name, for the ratios to use.
 */
export function withBestBaseline(table: BenchTable, baseline: string): string {
  const runs = table.rows.filter((row) => row.name === baseline || row.name === `${baseline} (again)`);
  const best = runs.reduce((a, b) => (b.hz > a.hz ? b : a));
  const name = `${baseline} (best of 2)`;
  table.rows.push({ ...best, name });
  return name;
}
