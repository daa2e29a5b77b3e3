import { type SecretCheck, verifySecret as scryptVerify } from "@patgate/shared";
import { defaultScryptConcurrency } from "../config/limits-config.js";

/** A secret check: scrypt of `secret` against a PHC string. */
export type SecretVerifier = (secret: Uint8Array, phc: string) => Promise<SecretCheck>;

/**
 * The issuer refused to start a scrypt verification: the ones ahead of it
 * would keep it waiting longer than the bound. Answered as 503
 * `temporarily_unavailable` with `Retry-After`.
 */
export class ScryptBusyError extends Error {
  override readonly name = "ScryptBusyError";
  readonly code = "scrypt_busy";
  constructor(
    /** Whole seconds after which the queue should have room again (at least 1). */
    readonly retryAfterSeconds: number,
  ) {
    super(`scrypt queue full; retry after ${retryAfterSeconds} s`);
  }
}

export interface ScryptBudgetOptions {
  /**
   * Verifications running at once. Each holds one of libuv's threads (4 unless
   * `UV_THREADPOOL_SIZE` says otherwise) and one core for ~30 ms; keep it below
   * the pool's size so that file reads, DNS and the embedded store keep threads
   * of their own. Default `defaultScryptConcurrency` (config/limits-config.ts).
   */
  readonly concurrency?: number;
  /**
   * Longest a verification may be expected to wait for its turn, ms. A new one
   * whose expected wait is longer is refused at once, and one already queued
   * that has not started by then is refused too: nothing waits on scrypt
   * longer than this. Default 1000.
   *
   * @example createScryptBudget({ concurrency: 2, maxWaitMs: 500 })
   */
  readonly maxWaitMs?: number;
  /** What runs under the budget; default scrypt (`verifySecret` of `@patgate/shared`). */
  readonly verifySecret?: SecretVerifier;
  /** Time one verification is assumed to take before any was measured, ms. Default 50. */
  readonly initialEstimateMs?: number;
  /** A monotonic clock in ms; default `performance.now`. */
  readonly clock?: () => number;
  /** Called each time a verification is refused. */
  readonly onShed?: () => void;
  /** Called with the queue's length each time it changes. */
  readonly onQueued?: (queued: number) => void;
}

/** What the budget is doing now. */
export interface ScryptBudgetState {
  readonly running: number;
  readonly queued: number;
  /** The current estimate of one verification, ms (a moving average, or longer while one runs late). */
  readonly estimateMs: number;
}

/**
 * scrypt as a budgeted resource: a bounded queue in front of every secret
 * check (the dummy check for a missing token id included), which sheds work
 * it could not start in time instead of letting it pile up on the thread pool.
 */
export interface ScryptBudget {
  /** Like `verifySecret` of `@patgate/shared`, or a {@link ScryptBusyError} when shed. */
  readonly verifySecret: SecretVerifier;
  /**
   * 0 when a verification asked for now would be admitted; else the
   * `Retry-After` seconds it would be shed with (and it counts as shed). Lets
   * a caller shed before the work that leads to scrypt (a store read).
   */
  retryAfter(): number;
  state(): ScryptBudgetState;
}

interface Waiter {
  readonly start: () => void;
  readonly shed: (error: ScryptBusyError) => void;
  readonly timer: NodeJS.Timeout;
}

/** Weight of the newest duration in the moving average. */
const SMOOTHING = 0.2;

/** The options with their defaults, checked: a bad one fails at start-up. */
function checkedOptions(options: ScryptBudgetOptions) {
  const {
    concurrency = defaultScryptConcurrency(),
    maxWaitMs = 1000,
    verifySecret = scryptVerify,
    initialEstimateMs = 50,
    clock = () => performance.now(),
  } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be an integer ≥ 1");
  if (!(maxWaitMs > 0)) throw new RangeError("maxWaitMs must be a positive number of milliseconds");
  if (!(initialEstimateMs > 0)) throw new RangeError("initialEstimateMs must be a positive number of milliseconds");
  return { ...options, concurrency, maxWaitMs, verifySecret, initialEstimateMs, clock };
}

/**
 * Creates the budget; bad options fail here, at start-up.
 *
 * @example
 * const budget = createScryptBudget({ concurrency: 2, maxWaitMs: 1000 });
 * const store = createTokenStore(client, { tableName, verifySecret: budget.verifySecret });
 */
export function createScryptBudget(options: ScryptBudgetOptions = {}): ScryptBudget {
  const { concurrency, maxWaitMs, verifySecret, initialEstimateMs, clock, onShed, onQueued } = checkedOptions(options);

  let average = initialEstimateMs;
  /** Start times of the verifications running now. */
  const started = new Set<{ readonly at: number }>();
  const queue: Waiter[] = [];

  /**
   * One verification's expected duration: the moving average, or, while a
   * running one is already older than that (a pool stalled by other work), its
   * age: the queue then looks as slow as it really is, and sheds sooner.
   */
  function estimate(): number {
    const at = clock();
    let oldest = 0;
    for (const run of started) oldest = Math.max(oldest, at - run.at);
    return Math.max(average, oldest);
  }

  /** Expected wait of a verification joining the queue now: the rounds ahead of it. */
  function expectedWait(): number {
    return (Math.floor(queue.length / concurrency) + 1) * estimate();
  }

  function busy(waitMs: number): ScryptBusyError {
    onShed?.();
    return new ScryptBusyError(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  async function run(secret: Uint8Array, phc: string): Promise<SecretCheck> {
    const running = { at: clock() };
    started.add(running);
    try {
      const result = await verifySecret(secret, phc);
      average += SMOOTHING * (clock() - running.at - average);
      return result;
    } finally {
      started.delete(running);
      // The next in line starts as this one ends.
      const waiter = queue.shift();
      if (waiter) {
        onQueued?.(queue.length);
        clearTimeout(waiter.timer);
        waiter.start();
      }
    }
  }

  return {
    verifySecret(secret, phc) {
      if (started.size < concurrency && queue.length === 0) return run(secret, phc);
      const wait = expectedWait();
      if (wait > maxWaitMs) return Promise.reject(busy(wait));
      return new Promise<SecretCheck>((resolve, reject) => {
        const waiter: Waiter = {
          start: () => run(secret, phc).then(resolve, reject),
          shed: reject,
          // Admitted on an estimate; if its turn has not come by the bound, it is shed after all.
          timer: setTimeout(() => {
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            onQueued?.(queue.length);
            waiter.shed(busy(expectedWait()));
          }, maxWaitMs),
        };
        queue.push(waiter);
        onQueued?.(queue.length);
      });
    },

    retryAfter() {
      if (started.size < concurrency && queue.length === 0) return 0;
      const wait = expectedWait();
      return wait > maxWaitMs ? busy(wait).retryAfterSeconds : 0;
    },

    state: () => ({ running: started.size, queued: queue.length, estimateMs: estimate() }),
  };
}
