import type { RevocationEvent } from "@patgate/shared";

/** Receives revocation events. Must not throw; it is called for every event. */
export type RevocationListener = (event: RevocationEvent) => void;

/**
 * Carries revocation events to everything in this issuer that reacts to
 * them (the verified-PAT cache, the local deny view). In-process in the
 * embedded default; backed by the Redis change stream when `REDIS_URL` is set.
 */
export interface RevocationBus {
  /** Delivers an event to every subscriber (in Redis mode: once it is on the stream). */
  publish(event: RevocationEvent): Promise<void>;
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: RevocationListener): () => void;
  /** Delivers an event to this process's subscribers only, at once (whatever Redis is doing). */
  deliverLocally(event: RevocationEvent): void;
  close(): Promise<void>;
}

/** A bus within one process: publish delivers synchronously to every subscriber. */
export function createInProcessBus(): RevocationBus {
  const listeners = new Set<RevocationListener>();
  const deliverLocally = (event: RevocationEvent) => {
    for (const listener of listeners) listener(event);
  };
  return {
    async publish(event) {
      deliverLocally(event);
    },
    deliverLocally,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
    },
  };
}
