import {
  type DenyEntry,
  parseDenyEntry,
  parseRevocationEvent,
  type RedisKeys,
  type RevocationEvent,
  STREAM_FIELDS,
} from "@patgate/shared";
import type { FollowerRedis } from "./follower-connection.js";

/** Where a follower stands on the change stream. */
export interface StreamPosition {
  /** The stream id applied up to; `0-0` before any. */
  readonly id: string;
  /** Sequence number of the last event applied; undefined before the first numbered one. */
  readonly seq: number | undefined;
  /** The event text at `id`, to tell a stream written again from scratch under the same id. */
  readonly event: string | undefined;
}

/** One stream entry as XREAD and XREVRANGE return it: its id and its flat field list. */
export type StreamEntry = [id: string, fields: string[]];

/** An XREAD reply for one stream. */
export type StreamReply = [key: string, entries: StreamEntry[]][] | null;

/**
 * The deny-list snapshot and the stream position it is current to. The hash's
 * values (entry JSON, which names its own field) are kept as Redis sent them,
 * as bytes: turned into fingerprints (`fingerprintsOf`) or entries
 * ({@link entriesOf}) by whoever takes them.
 */
export interface Snapshot {
  readonly values: readonly Uint8Array[];
  readonly position: StreamPosition;
}

export const START: StreamPosition = { id: "0-0", seq: undefined, event: undefined };

function fieldValue(fields: readonly string[] | undefined, name: string): string | undefined {
  if (!fields) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** The event text of an entry's fields. */
export function eventTextOf(fields: readonly string[] | undefined): string | undefined {
  return fieldValue(fields, STREAM_FIELDS.event);
}

/** The sequence number of an entry's fields; undefined when absent or not a number. */
export function sequenceOf(fields: readonly string[] | undefined): number | undefined {
  const text = fieldValue(fields, STREAM_FIELDS.sequence);
  const seq = text === undefined ? Number.NaN : Number(text);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

/** The position just after `entry`. */
function positionAt([id, fields]: StreamEntry): StreamPosition {
  return { id, seq: sequenceOf(fields), event: eventTextOf(fields) };
}

/** Orders two stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** The event an entry's text holds; undefined for a malformed one (skipped rather than stall the follower). */
export function parseEventText(text: string): RevocationEvent | undefined {
  try {
    return parseRevocationEvent(JSON.parse(text)) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The valid entries of a snapshot's values (a malformed one is skipped: it cannot deny anything meaningful). */
export function entriesOf(values: readonly Uint8Array[]): DenyEntry[] {
  const entries: DenyEntry[] = [];
  for (const bytes of values) {
    try {
      const entry = parseDenyEntry(
        JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString()),
      );
      if (entry) entries.push(entry);
    } catch {
      // Skipped, as above.
    }
  }
  return entries;
}

/**
 * Reads the live entries and the last stream entry in one MULTI, so nothing
 * falls between them: every event after the snapshot is after its id. Only the
 * hash's values are read (`HVALS`: each entry names its field), as bytes
 * (`callBuffer`): at a million entries the two million strings of an `HGETALL`
 * cost more in garbage collection than the rest of the load.
 */
export async function readSnapshot(redis: FollowerRedis, keys: RedisKeys): Promise<Snapshot> {
  const results = await redis
    .multi()
    .xrevrange(keys.events, "+", "-", "COUNT", 1)
    .callBuffer("HVALS", keys.denyEntries)
    .exec();
  if (!results) throw new Error("snapshot transaction aborted");
  const [[lastError, last], [valuesError, values]] = results as [
    [Error | null, StreamEntry[]],
    [Error | null, Buffer[] | null],
  ];
  if (lastError || valuesError) throw lastError ?? valuesError;
  const newest = last[0];
  return { values: values ?? [], position: newest ? positionAt(newest) : START };
}

/** The newest entry of the stream, if any. */
export async function readNewest(redis: FollowerRedis, keys: RedisKeys): Promise<StreamEntry | undefined> {
  const [newest] = (await redis.xrevrange(keys.events, "+", "-", "COUNT", 1)) as StreamEntry[];
  return newest;
}
