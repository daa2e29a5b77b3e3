import { DEFAULT_REDIS_PREFIX, type DenyEntry, type RevocationEvent, redisKeys } from "@patgate/shared";
import {
  DEADLINE_GRACE_MS,
  type FollowerConnection,
  type FollowerRedis,
  openFollowerConnection,
  ReadDeadlineError,
} from "./follower-connection.js";
import { fingerprintsOf, type SnapshotFingerprints } from "./snapshot-bytes.js";
import {
  compareIds,
  entriesOf,
  eventTextOf,
  parseEventText,
  readNewest,
  readSnapshot,
  START,
  type StreamEntry,
  type StreamPosition,
  type StreamReply,
  sequenceOf,
} from "./stream-entries.js";

export type { FollowerRedis } from "./follower-connection.js";
export type { SnapshotFingerprints } from "./snapshot-bytes.js";

/**
 * Deadline of a snapshot read. A million entries take seconds to arrive and
 * parse on a busy machine: under the blocking reads' deadline (block time + 1 s)
 * such a snapshot would be cut off and asked again forever. A connection that
 * dies silently during a snapshot is noticed after this instead.
 */
const SNAPSHOT_DEADLINE_MS = 30_000;

/** What a follower feeds: a full snapshot (at start, and after falling behind a trimmed stream), then each event. */
export interface FollowerHandlers {
  /** The entries in force, replacing what came before (merge them if you keep what you knew). */
  reset(entries: readonly DenyEntry[]): void;
  /**
   * Optional: told a snapshot as fingerprints instead of `reset` (no object
   * per entry: a deny-list that keeps only fingerprints loads a million entries
   * several times faster).
   */
  resetFingerprints?(snapshot: SnapshotFingerprints): void;
  /** One event of the change stream: a deny entry, or a PAT that changed (`token_changed`). */
  event(event: RevocationEvent): void;
}

/** How current a follower is. */
export interface FollowerStatus {
  /** True once the first snapshot has loaded. */
  readonly ready: boolean;
  /** True while the last read from Redis succeeded. */
  readonly connected: boolean;
  /** Epoch ms of the last successful read (snapshot or stream); 0 before the first. */
  readonly lastSyncAt: number;
  /** The stream id the follower has applied up to. */
  readonly lastId: string;
  /** Snapshots loaded so far (1 at start; more after a trimmed stream or a long outage). */
  readonly snapshots: number;
}

/** A running follower, from {@link startStreamFollower}. */
export interface StreamFollower {
  /** Resolves when the first snapshot has loaded; rejects if `close` comes first. */
  readonly ready: Promise<void>;
  status(): FollowerStatus;
  /** Stops following and closes the follower's connection (not the one it was given). Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startStreamFollower}. */
export interface StreamFollowerOptions {
  /**
   * An ioredis connection to copy, `Redis` or `Cluster`: the follower makes
   * its own with `duplicate()` for the blocking reads (a new one whenever a
   * read misses its deadline), and closes it. Its command, socket and blocking
   * timeouts are not copied: the follower bounds every read itself. A cluster
   * copy keeps its `scaleReads`, so `scaleReads: "slave"` reads the stream
   * from replicas.
   */
  readonly redis: FollowerRedis;
  /** The issuer's Redis key prefix (`PATGATE_REDIS_PREFIX`); default `patgate`. */
  readonly keyPrefix?: string;
  /** Told the snapshot, then every event. */
  readonly handlers: FollowerHandlers;
  /**
   * Longest a blocking read waits before looping (and refreshing `lastSyncAt`);
   * default 2000 ms. A read still unanswered 1 s after that means the
   * connection died silently: the follower drops it and connects again, so a
   * dead path is noticed within `blockMs` + 1 s.
   */
  readonly blockMs?: number;
  /** Events read per round trip; default 1000. */
  readonly batchSize?: number;
  /** Current time, epoch ms; default Date.now. */
  readonly now?: () => number;
  /**
   * Told each failure the follower recovers from by itself (a connection
   * error, a refused or unanswered read), so that a caller can say why the
   * list is not loading. The follower keeps retrying whatever this does.
   */
  readonly onError?: (error: unknown) => void;
}

/** Where a batch of stream entries leaves the follower, and whether it stopped at a gap in the numbering. */
interface Applied {
  readonly position: StreamPosition;
  readonly gap: boolean;
}

/**
 * Applies a batch in order from `position`. A gap in the event numbers means
 * events were trimmed away (or Redis lost data) while the follower was behind
 * or cut off: what it missed is in the snapshot, so it stops there.
 */
function applyBatch(entries: readonly StreamEntry[], from: StreamPosition, handlers: FollowerHandlers): Applied {
  let position = from;
  for (const [id, fields] of entries) {
    const seq = sequenceOf(fields);
    if (seq !== undefined && position.seq !== undefined && seq !== position.seq + 1) return { position, gap: true };
    const text = eventTextOf(fields);
    position = { id, seq: seq ?? position.seq, event: text };
    const event = text === undefined ? undefined : parseEventText(text);
    try {
      if (event) handlers.event(event);
    } catch {
      // A handler that throws must not stall the follower on this event.
    }
  }
  return { position, gap: false };
}

/**
 * True when the stream no longer continues from `position`: Redis lost it and
 * new events were written under ids at or below ours (a restart within the
 * same millisecond, or a clock that went back on failover). A blocking read
 * from our id would never see them, so each quiet round checks the tail.
 */
function rewound(newest: StreamEntry | undefined, position: StreamPosition): boolean {
  if (!newest) return position.id !== START.id;
  const [id, fields] = newest;
  const order = compareIds(id, position.id);
  if (order !== 0) return order < 0;
  return sequenceOf(fields) !== position.seq || eventTextOf(fields) !== position.event;
}

/**
 * Runs `round` until closed. After a failure it goes again at once on a new
 * connection when the read missed its deadline (the connection died silently,
 * and the deadline itself already spaced the attempts), else after a back-off.
 */
async function repeatRounds(
  round: () => Promise<void>,
  hooks: { readonly connection: FollowerConnection; closed(): boolean; failed(error: unknown): void },
): Promise<void> {
  let backoff = 100;
  while (!hooks.closed()) {
    try {
      await round();
      backoff = 100;
    } catch (error) {
      if (hooks.closed()) break;
      hooks.failed(error);
      if (error instanceof ReadDeadlineError) {
        hooks.connection.replace();
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 2000);
    }
  }
}

/**
 * Follows the issuer's deny-list: loads the snapshot (the hash of live entries
 * and the stream id it is current to, read in one MULTI so nothing falls
 * between them), then reads the change stream with blocking XREADs from that id.
 * After a disconnect it resumes from its last id. A read left unanswered past
 * its deadline counts as one (a connection that died without a reset): it goes
 * on over a new connection. Events are numbered; a gap in the numbers means
 * some were trimmed away (or Redis lost data) while it was behind or cut off,
 * so it reloads the snapshot.
 *
 * @example
 * const follower = startStreamFollower({
 *   redis: new Redis(process.env.REDIS_URL),
 *   handlers: { reset: (entries) => cache.clear(), event: (event) => cache.drop(event) },
 * });
 * await follower.ready;
 */
export function startStreamFollower(options: StreamFollowerOptions): StreamFollower {
  const { handlers, blockMs = 2000, batchSize = 1000, now = Date.now, onError } = options;
  const keys = redisKeys(options.keyPrefix ?? DEFAULT_REDIS_PREFIX);
  const state = { closed: false, ready: false, connected: false, lastSyncAt: 0, snapshots: 0 };
  let position = START;
  const connection = openFollowerConnection(options.redis, {
    deadlineMs: blockMs + DEADLINE_GRACE_MS,
    // ioredis reconnects by itself after a reset; status() reports the outage.
    onError: (error) => onError?.(error),
    onClose: () => {
      state.connected = false;
    },
  });
  let resolveReady: () => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {});

  async function loadSnapshot(): Promise<void> {
    const snapshot = await connection.read((redis) => readSnapshot(redis, keys), SNAPSHOT_DEADLINE_MS);
    position = snapshot.position;
    if (handlers.resetFingerprints) handlers.resetFingerprints(fingerprintsOf(snapshot.values));
    else handlers.reset(entriesOf(snapshot.values));
    state.snapshots += 1;
  }

  /** One round: the first snapshot if missing, then one blocking read and what it brought. */
  async function round(): Promise<void> {
    if (!state.ready) {
      await loadSnapshot();
      state.ready = true;
      resolveReady();
      state.lastSyncAt = now();
    }
    const reply = (await connection.read((redis) =>
      redis.xread("COUNT", batchSize, "BLOCK", blockMs, "STREAMS", keys.events, position.id),
    )) as StreamReply;
    state.connected = true;
    state.lastSyncAt = now();
    if (!reply) {
      if (rewound(await connection.read((redis) => readNewest(redis, keys)), position)) await loadSnapshot();
      return;
    }
    const applied = applyBatch(reply[0]?.[1] ?? [], position, handlers);
    position = applied.position;
    if (applied.gap) await loadSnapshot();
  }

  void repeatRounds(round, {
    connection,
    closed: () => state.closed,
    failed: (error) => {
      state.connected = false;
      onError?.(error);
    },
  });

  return {
    ready,
    status: () => ({
      ready: state.ready,
      connected: state.connected,
      lastSyncAt: state.lastSyncAt,
      lastId: position.id,
      snapshots: state.snapshots,
    }),
    async close() {
      if (state.closed) return;
      state.closed = true;
      rejectReady(new Error("follower closed"));
      connection.close();
    },
  };
}
