/**
 * Raised inside a synchronous creation whose creator answered with a promise, carrying that
 * promise so the caller can go on asynchronously without calling the creator again.
 */
export class CreatorReturnedPromise {
  constructor(readonly promise: PromiseLike<unknown>) {}
}
