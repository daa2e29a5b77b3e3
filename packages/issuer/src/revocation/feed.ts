import type { RevocationEvent } from "@patgate/shared";

/** Reacts to revocations in this process. Must not throw; it is called for every event. */
export interface FeedListener {
  event(event: RevocationEvent): void;
  /** Events may have been missed (a snapshot reload): drop whatever could be stale. */
  reset?(): void;
}

/**
 * The revocations this process hears about: its own (at once, whatever Redis
 * is doing) and, with Redis, every other issuer's through the change stream.
 */
export interface RevocationFeed {
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: FeedListener): () => void;
  /**
   * True while every change reaches this process. False while the Redis
   * stream is unreachable or silent: nothing cached may then be trusted.
   */
  healthy(): boolean;
}

/** The feed, as its sources (the token changes, a stream follower) see it. */
export interface FeedSource extends RevocationFeed {
  emit(event: RevocationEvent): void;
  reset(): void;
}

/** A feed that fans events out to this process's listeners; `healthy` comes from whatever feeds it. */
export function createFeed(healthy: () => boolean = () => true): FeedSource {
  const listeners = new Set<FeedListener>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    healthy,
    emit(event) {
      for (const listener of listeners) listener.event(event);
    },
    reset() {
      for (const listener of listeners) listener.reset?.();
    },
  };
}
