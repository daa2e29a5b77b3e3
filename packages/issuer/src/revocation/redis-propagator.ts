import type { Propagation, Propagator, RecordedEvent } from "./propagator.js";
import type { RevocationQueue } from "./queue.js";

export interface RedisPropagatorOptions {
  readonly queue: RevocationQueue;
  /** How long an admin request waits for the worker before answering "pending"; default 2000 ms. */
  readonly confirmTimeoutMs?: number;
}

/**
 * Redis mode: what the DynamoDB outbox recorded is enqueued on BullMQ, and the change waits
 * (briefly) for the worker. "confirmed" means the entry is on the deny-list;
 * "pending" means it is safe in the outbox and will be delivered (by the
 * queue's retries, or by the sweeper if Redis was down).
 */
export function createRedisPropagator(options: RedisPropagatorOptions): Propagator {
  const { queue, confirmTimeoutMs = 2000 } = options;
  return {
    async deliver(recorded: RecordedEvent): Promise<Propagation> {
      // The same jti revoked again after its entry reached the deny-list: already done.
      if (recorded.delivered) return "confirmed";
      try {
        const done = await queue.enqueueAndWait(
          { outboxId: recorded.id, event: recorded.event, acceptedAt: recorded.acceptedAt },
          confirmTimeoutMs,
        );
        return done ? "confirmed" : "pending";
      } catch {
        return "pending";
      }
    },
  };
}
