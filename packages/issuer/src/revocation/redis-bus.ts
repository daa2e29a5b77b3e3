import type { RedisKeys } from "@patgate/shared";
import { startStreamFollower } from "@patgate/verifier/stream-follower";
import type { Redis } from "ioredis";
import type { RevocationBus, RevocationListener } from "./bus.js";
import { createDenyListWriter } from "./deny-list-writer.js";

/**
 * The issuer's bus in Redis mode: it follows the deny-list change stream (the
 * same one every verifier follows), so each issuer instance evicts its
 * verified-PAT cache and updates its deny view on every revocation, whichever
 * instance or worker made it.
 */
export function createRedisBus(redis: Redis, keys: RedisKeys): RevocationBus & { readonly ready: Promise<void> } {
  const listeners = new Set<RevocationListener>();
  const emit: RevocationListener = (event) => {
    for (const listener of listeners) listener(event);
  };
  const follower = startStreamFollower({
    redis,
    keys,
    handlers: {
      reset: (entries) => {
        for (const entry of entries) emit({ type: "deny", entry });
      },
      event: emit,
    },
  });
  const writer = createDenyListWriter(redis, keys);
  return {
    ready: follower.ready,
    async publish(event) {
      await writer.write(event, Math.floor(Date.now() / 1000));
    },
    deliverLocally: emit,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await follower.close();
    },
  };
}
