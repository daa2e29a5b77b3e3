import { isDenyValue, type RedisKeys, type RevocationEvent } from "@patgate/shared";
import type { RedisConnection } from "../redis/connection.js";
import { createDenyListWriter, DEFAULT_STREAM_MAX_LENGTH } from "./deny-list-writer.js";

/**
 * Puts a deny event on the deny-list and its stream at once, from the admin
 * request itself, before the event is durable and before DynamoDB changes:
 * the same idempotent script the worker runs, so verifiers reject within a
 * Redis round trip instead of after the outbox write, the BullMQ hand-off and
 * the worker. A deny entry only ever denies more (a mark's minRev and expiry
 * only grow), so one written ahead of a change that then fails or is retried
 * denies JWTs that were about to be denied anyway, and nothing less. It is
 * not the delivery: the outbox item and its BullMQ job still carry the event
 * (written again after DynamoDB, which is what evicts the issuers' PAT caches
 * after the change), and decide `confirmed` or `pending`. Fire and forget:
 * a failure (Redis away) costs nothing but the head start.
 */
export type EarlyDeny = (event: RevocationEvent) => void;

export function createEarlyDeny(
  redis: RedisConnection,
  keys: RedisKeys,
  now: () => number = Date.now,
  maxStreamLength = DEFAULT_STREAM_MAX_LENGTH,
): EarlyDeny {
  // No replica wait: this write is a head start, the worker's write is the one that waits.
  const writer = createDenyListWriter(redis, keys, maxStreamLength, { replicaAck: false });
  return (event) => {
    // Only deny entries (a token_changed event ahead of its change would evict caches too early),
    // and only what the deny-list can carry (the worker refuses the rest for good).
    if (event.type !== "deny" || !isDenyValue(event.entry.value)) return;
    writer.write(event, Math.floor(now() / 1000)).catch(() => {});
  };
}
