// Blocks the calling thread for a while without spinning the CPU. `Atomics.wait` on a private
// word nobody ever notifies is a plain timed sleep; it works on the main thread of Node too.

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}
