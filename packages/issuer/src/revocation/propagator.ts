import type { RevocationEvent } from "@patgate/shared";
import type { RevocationBus } from "./bus.js";

/** Whether an event has reached every follower's source ("confirmed") or waits to be retried ("pending"). */
export type Propagation = "confirmed" | "pending";

/**
 * Carries a revocation from the source of truth (already written) to the
 * deny-list and every follower. The Redis implementation goes through an
 * outbox and BullMQ; the embedded one publishes in-process.
 */
export interface Propagator {
  propagate(event: RevocationEvent): Promise<Propagation>;
  close(): Promise<void>;
}

/** Embedded default: the in-process bus is the deny-list; delivery is immediate. */
export function createInProcessPropagator(bus: RevocationBus): Propagator {
  return {
    async propagate(event) {
      await bus.publish(event);
      return "confirmed";
    },
    async close() {},
  };
}
