import {
  type DenyEntry,
  parseDenyEntry,
  parseRevocationEvent,
  type RedisKeys,
  type RevocationEvent,
} from "@patgate/shared";
import type { Redis, RedisOptions } from "ioredis";

/** What a follower feeds: a full snapshot (at start, and after falling behind a trimmed stream), then each event. */
export interface FollowerHandlers {
  reset(entries: readonly DenyEntry[]): void;
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

export interface StreamFollower {
  /** Resolves when the first snapshot has loaded; rejects if `close` comes first. */
  readonly ready: Promise<void>;
  status(): FollowerStatus;
  close(): Promise<void>;
}

export interface StreamFollowerOptions {
  /**
   * A connection to copy: the follower makes its own with `duplicate()` for
   * the blocking reads (a new one whenever a read misses its deadline), and
   * closes it. Its command, socket and blocking timeouts are not copied: the
   * follower bounds every read itself.
   */
  readonly redis: Redis;
  readonly keys: RedisKeys;
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
  /** Current time, epoch ms. */
  readonly now?: () => number;
  /**
   * Told each failure the follower recovers from by itself (a connection
   * error, a refused or unanswered read), so that a caller can say why the
   * list is not loading. The follower keeps retrying whatever this does.
   */
  readonly onError?: (error: unknown) => void;
}

function fieldValue(fields: readonly string[] | undefined, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** Orders two stream ids (`ms-seq`). */
function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}

function sequenceOf(fields: readonly string[] | undefined): number | undefined {
  const text = fieldValue(fields, "s");
  const seq = text === undefined ? Number.NaN : Number(text);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/**
 * How much longer than its block time a read may take before the connection
 * is presumed dead. A connection can die without a reset (a NAT entry timed
 * out, a failover, a dropped route): the socket stays open, nothing arrives,
 * and TCP takes hours to give up. Redis answers a blocking read when its block
 * time ends, so silence past it and this margin means the path is gone.
 */
const DEADLINE_GRACE_MS = 1000;

/**
 * TCP keep-alive on the follower's connection (initial delay, ms): keeps NAT
 * and firewall entries from expiring, and lets the kernel find a dead peer
 * even where the follower's own deadline does not apply (a connection at rest).
 */
const KEEP_ALIVE_MS = 10_000;

/** A read that got no answer in time: its connection is presumed dead. */
class ReadDeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer from Redis within ${ms} ms`);
    this.name = "ReadDeadlineError";
  }
}

/**
 * Options of each connection the follower makes. The follower's deadline is
 * the only timeout: a command, socket or blocking timeout copied from the
 * given connection could cut a blocking read short (or, for ioredis's own
 * blocking timeout, answer it with an empty reply and hide the dead link).
 */
function followerConnectionOptions(deadlineMs: number): Partial<RedisOptions> {
  return {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    lazyConnect: false,
    commandTimeout: undefined,
    socketTimeout: undefined,
    blockingTimeout: undefined,
    keepAlive: KEEP_ALIVE_MS,
    // A connect that takes longer than a whole read may is as dead as a silent read.
    connectTimeout: deadlineMs,
  };
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
 */
export function startStreamFollower(options: StreamFollowerOptions): StreamFollower {
  const { keys, handlers, blockMs = 2000, batchSize = 1000, now = Date.now, onError } = options;
  const deadlineMs = blockMs + DEADLINE_GRACE_MS;
  let closed = false;
  let ready = false;
  let connected = false;
  /** Sequence number of the last event applied; undefined before the first numbered one. */
  let lastSeq: number | undefined;
  /** The event text at `lastId`, to tell a stream written again from scratch under the same id. */
  let lastEvent: string | undefined;

  /** A new connection of our own; only the current one's close counts as an outage. */
  function connect(): Redis {
    const connection = options.redis.duplicate(followerConnectionOptions(deadlineMs));
    connection.on("error", (error: unknown) => {
      // ioredis reconnects by itself after a reset; status() reports the outage.
      if (connection === redis && !closed) onError?.(error);
    });
    connection.on("close", () => {
      if (connection === redis) connected = false;
    });
    return connection;
  }

  let redis = connect();

  /**
   * Drops a connection that missed a deadline and starts a new one. Not
   * `disconnect(true)`: the dead one's queued reads would be sent again after
   * the reconnect and block it for their full time. Closing it for good
   * rejects whatever was pending on it, and nothing of it is reused.
   */
  function replaceConnection(): void {
    connected = false;
    const dead = redis;
    redis = connect();
    dead.disconnect();
  }

  /** `command`, or a {@link ReadDeadlineError} once `deadlineMs` has passed without its answer. */
  function withinDeadline<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ReadDeadlineError(deadlineMs)), deadlineMs);
      // The follower's socket keeps the process alive while it runs; a deadline must not after close().
      timer.unref();
      command.then(
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

  let lastSyncAt = 0;
  let lastId = "0-0";
  let snapshots = 0;
  let resolveReady: () => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  const readyPromise = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  readyPromise.catch(() => {});

  async function loadSnapshot(): Promise<void> {
    const results = await withinDeadline(
      redis.multi().xrevrange(keys.events, "+", "-", "COUNT", 1).hgetall(keys.denyEntries).exec(),
    );
    if (!results) throw new Error("snapshot transaction aborted");
    const [[lastError, last], [hashError, hash]] = results as [
      [Error | null, [string, string[]][]],
      [Error | null, Record<string, string>],
    ];
    if (lastError || hashError) throw lastError ?? hashError;
    const entries: DenyEntry[] = [];
    for (const text of Object.values(hash ?? {})) {
      try {
        const entry = parseDenyEntry(JSON.parse(text));
        if (entry) entries.push(entry);
      } catch {
        // A malformed entry is skipped; it cannot deny anything meaningful.
      }
    }
    lastId = last[0]?.[0] ?? "0-0";
    lastSeq = sequenceOf(last[0]?.[1]);
    lastEvent = fieldValue(last[0]?.[1], "e");
    handlers.reset(entries);
    snapshots += 1;
  }

  /**
   * True when the stream no longer continues what we read: Redis lost it and
   * new events were written under ids at or below ours (a restart within the
   * same millisecond, or a clock that went back on failover). A blocking read
   * from our id would never see them, so each quiet round checks the tail.
   */
  async function rewound(): Promise<boolean> {
    const [last] = (await withinDeadline(redis.xrevrange(keys.events, "+", "-", "COUNT", 1))) as [string, string[]][];
    if (!last) return lastId !== "0-0";
    const [id, fields] = last;
    const order = compareIds(id, lastId);
    if (order !== 0) return order < 0;
    return sequenceOf(fields) !== lastSeq || fieldValue(fields, "e") !== lastEvent;
  }

  async function run(): Promise<void> {
    let backoff = 100;
    while (!closed) {
      try {
        if (!ready) {
          await loadSnapshot();
          ready = true;
          resolveReady();
          lastSyncAt = now();
        }
        const reply = (await withinDeadline(
          redis.xread("COUNT", batchSize, "BLOCK", blockMs, "STREAMS", keys.events, lastId),
        )) as StreamReply;
        connected = true;
        lastSyncAt = now();
        backoff = 100;
        if (!reply && (await rewound())) {
          await loadSnapshot();
          continue;
        }
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          const seq = sequenceOf(fields);
          if (seq !== undefined && lastSeq !== undefined && seq !== lastSeq + 1) {
            // A gap: events were trimmed away (or Redis lost data) while we were
            // behind or cut off. What we missed is in the snapshot: start over from it.
            await loadSnapshot();
            break;
          }
          lastId = id;
          if (seq !== undefined) lastSeq = seq;
          const text = fieldValue(fields, "e");
          lastEvent = text;
          if (text === undefined) continue;
          try {
            const event = parseRevocationEvent(JSON.parse(text));
            if (event) handlers.event(event);
          } catch {
            // Skip a malformed event rather than stall the follower.
          }
        }
      } catch (error) {
        if (closed) break;
        connected = false;
        onError?.(error);
        if (error instanceof ReadDeadlineError) {
          // The connection died silently. Resume from lastId on a new one at once:
          // the deadline itself already spaced the attempts.
          replaceConnection();
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 2000);
      }
    }
  }

  void run();

  return {
    ready: readyPromise,
    status: () => ({ ready, connected, lastSyncAt, lastId, snapshots }),
    async close() {
      if (closed) return;
      closed = true;
      rejectReady(new Error("follower closed"));
      redis.disconnect();
    },
  };
}
