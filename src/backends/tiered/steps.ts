// Work written once as a generator that yields each lock call's answer (a value, or a promise of
// one) and gets it back settled: `runSteps` awaits what it yields, `runStepsSync` refuses promises.
import { isThenable } from '../api.js';

export type Steps<R> = Generator<unknown, R, unknown>;

export function runStepsSync<R>(steps: Steps<R>): R {
  let result = steps.next();
  while (!result.done) {
    result = isThenable(result.value)
      ? steps.throw(new TypeError('tiered backend: a tier answered a synchronous lock call with a promise; use the async API.'))
      : steps.next(result.value);
  }
  return result.value;
}

export async function runSteps<R>(steps: Steps<R>): Promise<R> {
  let result = steps.next();
  while (!result.done) {
    let settled: unknown;
    let failed = false;
    try {
      settled = await result.value;
    } catch (error) {
      failed = true;
      settled = error;
    }
    result = failed ? steps.throw(settled) : steps.next(settled);
  }
  return result.value;
}
