/**
 * `promise`, or the error `timeoutError()` makes once `ms` has passed without
 * it settling. The work itself is not cancelled (Redis may still apply a
 * command), and whatever it settles to later is ignored.
 *
 * `unref` (the default) lets the process exit while only this wait is left:
 * a deadline must not hold up a shutdown. Pass `false` where the wait itself
 * is what keeps a caller going.
 *
 * @example await settleWithin(redis.get(key), 500, () => new Error("Redis did not answer"));
 */
export function settleWithin<T>(promise: Promise<T>, ms: number, timeoutError: () => Error, unref = true): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError()), ms);
    if (unref) timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
