import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { RedisKeys } from "@patgate/shared";
import type { EventSink } from "../events/token-events.js";
import type { RedisConnection } from "../redis/connection.js";
import { createExpirySweep } from "./expiry-sweep.js";
import {
  type LifecycleScheduler,
  type LifecycleTask,
  startRedisLifecycleScheduler,
  startTimerLifecycleScheduler,
} from "./lifecycle-scheduler.js";
import { createUnusedSweep, type UnusedRevoker } from "./unused-sweep.js";

/** Default interval of the expiry-warning pass: 5 minutes (a pass is a few dozen small Queries). */
export const EXPIRY_SWEEP_EVERY_MS = 5 * 60_000;

/** Default interval of the unused-token pass: 6 hours (a pass reads the whole table, paced; see `unused-sweep.ts`). */
export const UNUSED_SWEEP_EVERY_MS = 6 * 3600_000;

/** The unused-token policy (`PATGATE_REVOKE_UNUSED_AFTER`) and what it needs. */
export interface UnusedTokenPolicy {
  readonly afterSeconds: number;
  /** The token service (each revocation with its event and audit line). */
  readonly tokens: UnusedRevoker;
  /** Ms between passes; default {@link UNUSED_SWEEP_EVERY_MS}. */
  readonly everyMs?: number;
}

export interface LifecycleOptions {
  readonly client: DynamoDBClient;
  /** The token table. */
  readonly tableName: string;
  /** Where the scheduler's events go (the webhooks' sink). */
  readonly events: EventSink;
  /** With Redis, a BullMQ job scheduler; absent, a timer in this process. */
  readonly redis?: { readonly connection: RedisConnection; readonly keys: RedisKeys };
  /** Ms between expiry-warning passes; default {@link EXPIRY_SWEEP_EVERY_MS}. */
  readonly expiryEveryMs?: number;
  /** Revoke unused PATs; absent: never. */
  readonly unused?: UnusedTokenPolicy;
  /** Embedded: ms before the first runs; default 5000. */
  readonly firstRunMs?: number;
  readonly onError?: (error: unknown, task: string) => void;
  /** Current time, epoch ms. */
  readonly now?: () => number;
}

/** The periodic tasks of the token lifecycle. */
export function lifecycleTasks(options: LifecycleOptions): LifecycleTask[] {
  const { client, tableName, events, expiryEveryMs = EXPIRY_SWEEP_EVERY_MS, now = Date.now } = options;
  const expiry = createExpirySweep({ client, tableName, events, now });
  const tasks: LifecycleTask[] = [{ name: "expiry-warnings", everyMs: expiryEveryMs, run: () => expiry.run() }];
  const { unused } = options;
  if (unused) {
    const sweep = createUnusedSweep({
      client,
      tableName,
      tokens: unused.tokens,
      unusedAfterSeconds: unused.afterSeconds,
      now,
    });
    tasks.push({ name: "unused-tokens", everyMs: unused.everyMs ?? UNUSED_SWEEP_EVERY_MS, run: () => sweep.run() });
  }
  return tasks;
}

/**
 * Starts the lifecycle scheduler where the revocation worker runs: a BullMQ
 * job scheduler and worker with Redis, a timer embedded.
 */
export function startLifecycle(options: LifecycleOptions): LifecycleScheduler {
  const tasks = lifecycleTasks(options);
  const onError = options.onError ? { onError: options.onError } : {};
  return options.redis
    ? startRedisLifecycleScheduler({
        connection: options.redis.connection,
        keys: options.redis.keys,
        tasks,
        ...onError,
      })
    : startTimerLifecycleScheduler({
        tasks,
        ...(options.firstRunMs === undefined ? {} : { firstRunMs: options.firstRunMs }),
        ...onError,
      });
}
