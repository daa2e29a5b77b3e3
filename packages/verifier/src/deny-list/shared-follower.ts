import { createMemoryDenyList, type MemoryDenyList } from "./memory-deny-list.js";
import type { FollowerRedis, StreamFollower, StreamFollowerOptions } from "./stream-follower.js";

/** One subscriber of a followed list: told each change, and why the first snapshot cannot load. */
export interface FollowedListSubscriber {
  readonly onChange?: (() => void) | undefined;
  readonly onFirstLoadError?: ((error: unknown) => void) | undefined;
}

/** A deny-list kept current by one stream follower, for every subscriber that shares it. */
export interface FollowedList {
  readonly list: MemoryDenyList;
  readonly follower: StreamFollower;
  /** Adds a subscriber; the returned function removes it and closes the follower after the last one. */
  subscribe(subscriber: FollowedListSubscriber): () => Promise<void>;
}

type Start = (options: StreamFollowerOptions) => StreamFollower;
type FollowerSettings = Omit<StreamFollowerOptions, "handlers" | "onError" | "redis">;

/**
 * Starts a follower feeding a memory list. A snapshot is merged, not swapped
 * in: entries only ever grow until they expire, so what this process already
 * knows stays true even when Redis itself lost data (a restart without
 * persistence).
 */
function followList(
  start: Start,
  redis: FollowerRedis,
  settings: FollowerSettings,
  onClosed: () => void,
): FollowedList {
  const list = createMemoryDenyList();
  const subscribers = new Set<FollowedListSubscriber>();
  const changed = () => {
    for (const subscriber of subscribers) subscriber.onChange?.();
  };
  let loaded = false;
  let told = false;
  const follower = start({
    ...settings,
    redis,
    // Once, and only while the first snapshot is missing: every verify fails until it loads, and
    // the follower retries in silence, so without this line nobody would know why.
    onError: (error) => {
      if (told || loaded) return;
      told = true;
      for (const subscriber of subscribers) subscriber.onFirstLoadError?.(error);
    },
    handlers: {
      reset: (entries) => {
        loaded = true;
        for (const entry of entries) list.add(entry);
        changed();
      },
      resetFingerprints: (snapshot) => {
        loaded = true;
        list.addFingerprints(snapshot);
        changed();
      },
      event: (event) => {
        if (event.type !== "deny") return;
        list.add(event.entry);
        changed();
      },
    },
  });
  return {
    list,
    follower,
    subscribe(subscriber) {
      subscribers.add(subscriber);
      let left = false;
      return async () => {
        if (left) return;
        left = true;
        subscribers.delete(subscriber);
        if (subscribers.size > 0) return;
        onClosed();
        await follower.close();
      };
    },
  };
}

/** Lists followed in this process, by what they follow (see {@link sharedFollowedList}). */
const shared = new Map<string, FollowedList>();

/**
 * The followed list for `key`, shared by every deny-list of this process that
 * follows the same Redis, prefix and block time: one connection, one blocking
 * read, one parse per event, and every verifier of the process learns of a
 * revocation on the same wake-up instead of one after another (a process
 * holding many verifiers, or one service building several). `key` undefined
 * (a connection the caller gave, or its own clock) follows alone. A new
 * follower copies `redis`; an existing one ignores it.
 */
export function sharedFollowedList(
  key: string | undefined,
  start: Start,
  redis: FollowerRedis,
  settings: FollowerSettings,
): FollowedList {
  const existing = key === undefined ? undefined : shared.get(key);
  if (existing) return existing;
  const followed = followList(start, redis, settings, () => {
    if (key !== undefined && shared.get(key) === followed) shared.delete(key);
  });
  if (key !== undefined) shared.set(key, followed);
  return followed;
}
