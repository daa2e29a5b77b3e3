import type { RedisKeys } from "@patgate/shared";
import type { RedisConnection } from "../redis/connection.js";
import { redisScripts } from "../redis/scripts.js";
import { addressBucket } from "./address-bucket.js";
import { boundedWait, RATE_LIMIT_WAIT_MS } from "./bounded-wait.js";

/**
 * The exchange lock-out. A token id is public (every JWT carries it as
 * `client_id`), so failures are counted per token id *and client address*, and
 * per address: a stranger's guesses lock out the stranger, never the holder
 * elsewhere. A try is reserved before the secret is checked (scrypt) and
 * settled after, so concurrent guesses cannot overrun a limit: failed tries
 * plus tries in flight never exceed it. A try that succeeds is given back.
 *
 * Windows are fixed, one minute from the first try of a key. An IPv6 client
 * is counted by its /64 (see `addressBucket`).
 */
export interface FailureLimiter {
  /**
   * Reserves one try of a secret of `tokenId` from `address`, or says how long
   * to wait: the token id from this address, or the address itself, has used
   * its limit (failures and tries in flight) for this window.
   */
  reserve(tokenId: string, address: string): Promise<ReservedTry | LockedOut>;
}

/** A try reserved by {@link FailureLimiter.reserve}; settle it once, when the secret has been checked. */
export interface ReservedTry {
  readonly ok: true;
  /**
   * `failed` counts a failure; `succeeded` gives the try back; `abandoned` (the
   * store was down: no verdict) gives it back too. Never waits: the count is
   * written in the background.
   */
  settle(outcome: TryOutcome): void;
}

export type TryOutcome = "succeeded" | "failed" | "abandoned";

export interface LockedOut {
  readonly ok: false;
  /** Seconds until a try may succeed in reserving: the window's end, or 1 when only tries in flight fill it. */
  readonly retryAfterSeconds: number;
}

/** The two limits, in failed exchanges per one-minute window. */
export interface FailureLimits {
  /** Of one token id from one address: `PATGATE_TOKEN_FAILURE_LIMIT`, default 10. */
  readonly perTokenAndAddress: number;
  /** From one address, whatever the token ids: `PATGATE_ADDRESS_FAILURE_LIMIT`, default 100. */
  readonly perAddress: number;
}

const WINDOW_SECONDS = 60;
/** Windows kept in memory before finished ones are swept. */
const MEMORY_SWEEP_AT = 100_000;

function checkLimits(limits: FailureLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  }
}

/** What a count in one window refuses: 0 when it leaves room for one more try. */
function waitSeconds(failed: number, pending: number, limit: number, secondsLeft: number): number {
  if (failed + pending < limit) return 0;
  // Only tries in flight fill the window: they settle within milliseconds, most of them given back.
  return failed >= limit ? Math.max(1, secondsLeft) : 1;
}

interface MemoryWindow {
  failed: number;
  pending: number;
  readonly resetAtMs: number;
}

/**
 * In-process limiter: one issuer, or no Redis configured. A reservation is
 * checked and counted synchronously, so concurrent requests cannot slip
 * between the check and the count.
 */
export function createMemoryFailureLimiter(limits: FailureLimits, now: () => number = Date.now): FailureLimiter {
  checkLimits(limits);
  const windows = new Map<string, MemoryWindow>();

  function live(key: string, nowMs: number): MemoryWindow | undefined {
    const window = windows.get(key);
    if (window && window.resetAtMs <= nowMs) {
      windows.delete(key);
      return undefined;
    }
    return window;
  }

  function open(key: string, nowMs: number): MemoryWindow {
    const existing = live(key, nowMs);
    if (existing) return existing;
    // Bounded memory under a flood of distinct keys: drop finished windows.
    if (windows.size >= MEMORY_SWEEP_AT) for (const [k, w] of windows) if (w.resetAtMs <= nowMs) windows.delete(k);
    const window = { failed: 0, pending: 0, resetAtMs: nowMs + WINDOW_SECONDS * 1000 };
    windows.set(key, window);
    return window;
  }

  return {
    async reserve(tokenId, address) {
      const bucket = addressBucket(address);
      const counters = [
        { key: `${bucket} ${tokenId}`, limit: limits.perTokenAndAddress },
        { key: bucket, limit: limits.perAddress },
      ];
      const keys = counters.map((counter) => counter.key);
      const nowMs = now();
      let wait = 0;
      for (const { key, limit } of counters) {
        const window = live(key, nowMs);
        if (window) {
          const secondsLeft = Math.ceil((window.resetAtMs - nowMs) / 1000);
          wait = Math.max(wait, waitSeconds(window.failed, window.pending, limit, secondsLeft));
        }
      }
      if (wait > 0) return { ok: false, retryAfterSeconds: wait };
      const reserved = keys.map((key) => open(key, nowMs));
      for (const window of reserved) window.pending += 1;
      let settled = false;
      return {
        ok: true,
        settle(outcome) {
          if (settled) return;
          settled = true;
          const at = now();
          keys.forEach((key, i) => {
            const window = reserved[i] as MemoryWindow;
            // The try belongs to the window it was reserved in; a failure counts in the live one.
            if (live(key, at) === window) window.pending -= 1;
            if (outcome === "failed") open(key, at).failed += 1;
          });
        },
      };
    },
  };
}

export interface RedisFailureLimiterOptions {
  /** Longest each call waits on Redis before it fails open; default {@link RATE_LIMIT_WAIT_MS} (500 ms). */
  readonly waitMs?: number;
}

/**
 * Redis-backed limiter shared by every issuer instance: reserving and settling
 * are each one Lua script over the two counters (`lua/reserve-failure-try.lua`,
 * `lua/settle-failure-try.lua`; same hash slot: see `RedisKeys.failures`). While Redis is away, or silent for longer than
 * `waitMs`, it lets tries through, as the per-IP limit does (`skipOnError`):
 * an outage of the limiter must not become an outage (or a hang) of `/token`.
 * scrypt still makes each guess cost the guesser.
 */
export function createRedisFailureLimiter(
  redis: RedisConnection,
  keys: RedisKeys,
  limits: FailureLimits,
  options: RedisFailureLimiterOptions = {},
): FailureLimiter {
  checkLimits(limits);
  const { waitMs = RATE_LIMIT_WAIT_MS } = options;
  if (!(waitMs > 0)) throw new RangeError("waitMs must be a positive number of milliseconds");
  const scripts = redisScripts(redis);
  // Window ids only need to differ from one window of a key to the next.
  const instance = Math.random().toString(36).slice(2, 10);
  let sequence = 0;
  const windowId = () => `${instance}.${(sequence++).toString(36)}`;

  return {
    async reserve(tokenId, address) {
      const bucket = addressBucket(address);
      const pairKey = keys.failures(bucket, tokenId);
      const addressKey = keys.failures(bucket);
      let windows: readonly [string, string] = ["", ""];
      try {
        const reply = await boundedWait(
          scripts.reserveFailureTry({
            keys: { pair: pairKey, address: addressKey },
            args: {
              pairLimit: limits.perTokenAndAddress,
              addressLimit: limits.perAddress,
              windowSeconds: WINDOW_SECONDS,
              windowId: windowId(),
            },
          }),
          waitMs,
        );
        const [wait, pairWindow, addressWindow] = reply;
        if (Number(wait) > 0) return { ok: false, retryAfterSeconds: Number(wait) };
        windows = [String(pairWindow), String(addressWindow)];
      } catch {
        // Fail open: the try goes ahead uncounted in flight; a failure is still counted below.
      }
      let settled = false;
      return {
        ok: true,
        settle(outcome) {
          if (settled) return;
          settled = true;
          const failed = outcome === "failed" ? "1" : "0";
          if (failed === "0" && windows[0] === "") return; // reserved nothing, nothing to count
          const settling = scripts.settleFailureTry({
            keys: { pair: pairKey, address: addressKey },
            args: {
              pairWindow: windows[0],
              addressWindow: windows[1],
              failed,
              windowSeconds: WINDOW_SECONDS,
              windowId: windowId(),
            },
          });
          boundedWait(settling, waitMs).catch(() => {});
        },
      };
    },
  };
}
