import type { RevocationEvent } from "@patgate/shared";
import type { RevocationBus } from "./bus.js";
import type { Outbox } from "./outbox.js";

/** Whether an event is on the deny-list ("confirmed") or recorded and waiting to be delivered ("pending"). */
export type Propagation = "confirmed" | "pending";

/** A revocation recorded durably, ready to be delivered. */
export interface RecordedEvent {
  readonly event: RevocationEvent;
  /** Outbox id, when there is an outbox. */
  readonly id?: string;
  /** Epoch ms it was recorded. */
  readonly acceptedAt: number;
}

/**
 * Carries a revocation to the deny-list and every follower, in two steps:
 * `record` before the token changes in DynamoDB (so a crash in between loses
 * nothing: the outbox still holds it), `deliver` after.
 */
export interface Propagator {
  record(event: RevocationEvent): Promise<RecordedEvent>;
  deliver(recorded: RecordedEvent): Promise<Propagation>;
  close(): Promise<void>;
}

/**
 * Embedded default: the in-process bus is the deny-list, so delivery is
 * immediate; an (in-memory) outbox, when given, lists recent revocations.
 */
export function createInProcessPropagator(
  bus: RevocationBus,
  outbox?: Outbox,
  now: () => number = Date.now,
): Propagator {
  return {
    async record(event) {
      const item = await outbox?.add(event);
      return { event, acceptedAt: item?.createdAt ?? now(), ...(item ? { id: item.id } : {}) };
    },
    async deliver({ event, id }) {
      await bus.publish(event);
      if (id) await outbox?.markPropagated(id, now());
      return "confirmed";
    },
    async close() {},
  };
}
