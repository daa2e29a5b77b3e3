import type { RedisKeys } from "@patgate/shared";
import { type EventSink, noEvents } from "../events/token-events.js";
import type { RedisConnection } from "../redis/connection.js";
import type { TokenStore } from "../tokens/types.js";
import { createDenyView, type DenyView } from "./deny-view.js";
import { createEarlyDeny, type EarlyDeny } from "./early-deny.js";
import { createFeed, type FeedSource, type RevocationFeed } from "./feed.js";
import type { Outbox } from "./outbox.js";
import { startOutboxSweeper } from "./outbox-sweeper.js";
import { createInProcessPropagator, type Propagator } from "./propagator.js";
import { createRevocationQueue } from "./queue.js";
import { createRedisFeed, DEFAULT_FEED_STALE_MS } from "./redis-feed.js";
import { createRedisPropagator } from "./redis-propagator.js";
import {
  createTokenChanges,
  markLifetimeSeconds,
  type TokenChanges,
  type TokenChangesOptions,
} from "./token-changes.js";
import { createRevocationWorker } from "./worker.js";

/** Revocation through Redis: the queue, the deny-list and its change stream. */
export interface RedisRevocationOptions {
  /** A fail-fast command connection; copied for blocking work, never closed here. */
  readonly connection: RedisConnection;
  readonly keys: RedisKeys;
  /** Follow the change stream (an issuer does; the CLI does not). Default true. */
  readonly follow?: boolean;
  /** Run the revocation worker in this process. Default false. */
  readonly worker?: boolean;
  /** Sweep the outbox for revocations accepted while Redis was away. Default true. */
  readonly sweeper?: boolean;
  readonly onPropagated?: (lagMs: number) => void;
  readonly onPending?: (count: number) => void;
  /** Revocations whose delivery failed for good (visible in /admin/revocations). */
  readonly onFailed?: (count: number) => void;
  readonly onRestored?: (count: number) => void;
}

export interface RevocationOptions {
  readonly store: TokenStore;
  /** Every revocation is recorded here first (DynamoDB; on disk in the embedded store). */
  readonly outbox: Outbox;
  /** Absent: the embedded default, one process, no external verifiers. */
  readonly redis?: RedisRevocationOptions;
  readonly jwtTtlSeconds: number;
  /** Oldest PAT state an exchange may mint from, seconds (the PAT cache's lifetime, at least 30). */
  readonly stateMaxAgeSeconds: number;
  /** Where lifecycle events go (webhooks); default nowhere. The admin API's create route and leak response use it too. */
  readonly events?: EventSink;
  readonly now?: () => number;
  /** The Token Status List's indexes (`PATGATE_STATUS_LIST=on`): denying changes set them INVALID. */
  readonly statusIndexes?: TokenChangesOptions["statusIndexes"];
}

/** Everything about revocation, assembled once for the server, the CLI and tests alike. */
export interface Revocation {
  /** The write side: DynamoDB, then the outbox's event to every follower. */
  readonly changes: TokenChanges;
  /** What this process hears; the PAT cache subscribes to it. */
  readonly feed: RevocationFeed;
  /** Deny entries in force, as this process knows them (for the admin API and `/introspect`). */
  readonly denyView: DenyView;
  readonly outbox: Outbox;
  /** The lifecycle event sink the token changes emit to, for the other emitters (token creation, leaks). */
  readonly events: EventSink;
  close(): Promise<void>;
}

/**
 * Builds the revocation side. Embedded: revocations are applied in process
 * and kept in the outbox on disk; those still in force are loaded again here,
 * so a restart forgets no jti denial and no mark. With Redis: the outbox
 * feeds the BullMQ queue (and the worker, if it runs here), and the feed
 * follows the change stream.
 */
export async function createRevocation(options: RevocationOptions): Promise<Revocation> {
  const { store, outbox, redis, jwtTtlSeconds, stateMaxAgeSeconds, events = noEvents, now = Date.now } = options;
  const follow = redis !== undefined && redis.follow !== false;
  const redisFeed = follow ? createRedisFeed({ redis: redis.connection, keys: redis.keys, now }) : undefined;
  const feed: FeedSource = redisFeed ?? createFeed();
  const denyView = createDenyView();
  feed.subscribe({ event: (event) => denyView.apply(event) });

  const closers: (() => Promise<void> | void)[] = [];
  let propagator: Propagator;
  let earlyDeny: EarlyDeny | undefined;
  if (redis) {
    earlyDeny = createEarlyDeny(redis.connection, redis.keys, now);
    const queue = createRevocationQueue(redis.connection, redis.keys);
    propagator = createRedisPropagator({ queue });
    if (redis.sweeper !== false) {
      const sweeper = startOutboxSweeper({
        outbox,
        queue,
        redis: redis.connection,
        keys: redis.keys,
        ...(redis.onPending ? { onPending: redis.onPending } : {}),
        ...(redis.onFailed ? { onFailed: redis.onFailed } : {}),
        ...(redis.onRestored ? { onRestored: redis.onRestored } : {}),
      });
      closers.push(() => sweeper.close());
    }
    if (redis.worker) {
      const worker = createRevocationWorker({
        connection: redis.connection,
        keys: redis.keys,
        outbox,
        ...(redis.onPropagated ? { onPropagated: redis.onPropagated } : {}),
      });
      closers.push(() => worker.close());
    }
    closers.push(() => queue.close());
  } else {
    propagator = createInProcessPropagator(outbox, now);
    await replayInForce(outbox, feed, now);
  }
  if (redisFeed) closers.push(() => redisFeed.close());

  const changes = createTokenChanges({
    store,
    outbox,
    propagator,
    markLifetimeSeconds: markLifetimeSeconds(jwtTtlSeconds, stateMaxAgeSeconds),
    applyLocally: (event) => feed.emit(event),
    pendingSettleMs: follow ? DEFAULT_FEED_STALE_MS : 0,
    ...(earlyDeny ? { earlyDeny } : {}),
    events,
    now,
    ...(options.statusIndexes ? { statusIndexes: options.statusIndexes } : {}),
  });

  let closed: Promise<void> | undefined;
  return {
    changes,
    feed,
    denyView,
    outbox,
    events,
    close() {
      closed ??= (async () => {
        for (const close of closers) await close();
      })();
      return closed;
    },
  };
}

/** Loads the deny entries still in force from the outbox (the embedded default's memory across restarts). */
async function replayInForce(outbox: Outbox, feed: FeedSource, now: () => number): Promise<void> {
  const nowSeconds = Math.floor(now() / 1000);
  const items = await outbox.recent(Number.MAX_SAFE_INTEGER);
  for (const item of items.reverse()) {
    if (item.event.type === "deny" && item.event.entry.expiresAt > nowSeconds) feed.emit(item.event);
    if (item.state === "pending") await outbox.markPropagated(item.id, now());
  }
}
