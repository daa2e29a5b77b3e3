import type { EventSink, TokenEvent } from "../events/token-events.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { PushDelivery } from "./push-delivery.js";
import type { SetQueue } from "./set-queue.js";
import { type SetClaims, type SignedSet, signSet } from "./set-signer.js";
import { eventsDelivered } from "./stream-config.js";
import type { StreamRecord } from "./stream-record.js";
import type { StreamStore } from "./stream-store.js";
import { subjectCovers } from "./subjects.js";
import { type Signal, signalsOf } from "./token-signals.js";
import { PUSH_METHOD, STREAM_CONTROL_EVENTS } from "./vocabulary.js";

export interface TransmitterParts {
  readonly streams: StreamStore;
  readonly queue: SetQueue;
  readonly push: PushDelivery;
  /** The keys SETs are signed with. */
  readonly keys: SigningKeys;
  readonly issuer: string;
  /** Most SETs a stream keeps waiting (`PATGATE_SSF_MAX_QUEUED`). */
  readonly maxQueued: number;
  readonly now?: () => number;
  /** A SET made for a stream, by delivery method. */
  readonly onSet?: (method: "push" | "poll") => void;
  /** A SET dropped: the stream's queue was full. */
  readonly onDropped?: () => void;
  /** A token event whose SETs could not all be recorded (the store is down). */
  readonly onError?: (error: unknown) => void;
}

/** Turns token events into SETs for every stream that asked for them. */
export interface Transmitter {
  /** The subscriber: each token event becomes SETs for every matching stream; never rejects. */
  readonly sink: EventSink;
  /** Sends one SET to one stream as its status says (verification, stream-updated); its jti, or null when dropped. */
  sendTo(stream: StreamRecord, claims: Omit<SetClaims, "aud">): Promise<string | null>;
  /** A push stream enabled again: the SETs it held go to push delivery. Returns how many. */
  release(stream: StreamRecord): Promise<number>;
  /** Forgets the cached stream list (a stream changed in this process). */
  invalidate(): void;
  /** Calls `listener` with a stream id whenever a SET is queued for it here (poll waiters). */
  onQueued(listener: (streamId: string) => void): () => void;
}

/** How long the stream list is reused between token events, ms: a burst (an owner's 1000 PATs) reads it once. */
const STREAM_LIST_TTL_MS = 1000;

function wants(stream: StreamRecord, signal: Signal): boolean {
  if (stream.status === "disabled") return false;
  if (!STREAM_CONTROL_EVENTS.includes(signal.type) && !eventsDelivered(stream).includes(signal.type)) return false;
  return !stream.removedSubjects.some((removed) => subjectCovers(removed, signal.subject));
}

/**
 * The transmitter (see {@link Transmitter}). A SET is signed once per stream
 * (its `aud` is the stream's) and recorded before `emit` resolves: a push
 * stream's in the push table (then delivered with retries), a poll or paused
 * stream's in the SET queue (bounded: past `maxQueued` it is dropped and
 * counted); a disabled stream gets nothing.
 */
export function createTransmitter(parts: TransmitterParts): Transmitter {
  const { streams, queue, push, keys, issuer, maxQueued, now = Date.now } = parts;
  const streamList = cachedStreamList(streams, now);
  const listeners = new Set<(streamId: string) => void>();

  async function dispatch(stream: StreamRecord, set: SignedSet): Promise<boolean> {
    if (stream.delivery.method === PUSH_METHOD && stream.status === "enabled") {
      await push.record(stream.streamId, set);
      parts.onSet?.("push");
      return true;
    }
    if (!(await queue.add(stream.streamId, set, maxQueued))) {
      parts.onDropped?.();
      return false;
    }
    parts.onSet?.(stream.delivery.method === PUSH_METHOD ? "push" : "poll");
    for (const listener of listeners) listener(stream.streamId);
    return true;
  }

  async function sendTo(stream: StreamRecord, claims: Omit<SetClaims, "aud">): Promise<string | null> {
    if (stream.status === "disabled") return null;
    const set = signSet(keys, issuer, { ...claims, aud: stream.aud }, now());
    return (await dispatch(stream, set)) ? set.jti : null;
  }

  const sink: EventSink = {
    async emit(event: TokenEvent) {
      try {
        const signals = signalsOf(event, issuer);
        if (signals.length === 0) return;
        const list = await streamList.current();
        for (const signal of signals)
          for (const stream of list)
            if (wants(stream, signal))
              await sendTo(stream, {
                type: signal.type,
                subject: signal.subject,
                event: signal.event,
                txn: signal.txn,
              });
      } catch (error) {
        parts.onError?.(error);
      }
    },
  };

  return {
    sink,
    sendTo,
    release: (stream) => releaseQueued(queue, push, stream.streamId),
    invalidate: () => streamList.invalidate(),
    onQueued(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The streams, read at most once per {@link STREAM_LIST_TTL_MS}; a failed read is not kept. */
function cachedStreamList(streams: StreamStore, now: () => number) {
  let cached: { at: number; list: Promise<StreamRecord[]> } | undefined;
  return {
    current(): Promise<StreamRecord[]> {
      const at = now();
      if (!cached || at - cached.at > STREAM_LIST_TTL_MS) {
        const list = streams.listAll();
        cached = { at, list };
        list.catch(() => {
          if (cached?.list === list) cached = undefined;
        });
      }
      return cached.list;
    },
    invalidate(): void {
      cached = undefined;
    },
  };
}

/** Moves a stream's queued SETs to push delivery, 100 at a time; resolves to how many. */
async function releaseQueued(queue: SetQueue, push: PushDelivery, streamId: string): Promise<number> {
  let released = 0;
  for (;;) {
    const { sets, more } = await queue.peek(streamId, 100);
    for (const set of sets) await push.record(streamId, set);
    await queue.remove(
      streamId,
      sets.map((s) => s.jti),
    );
    released += sets.length;
    if (!more || sets.length === 0) return released;
  }
}
