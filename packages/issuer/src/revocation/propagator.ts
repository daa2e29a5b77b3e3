import type { RevocationEvent } from "@patgate/shared";
import type { Outbox } from "./outbox-records.js";

/** Whether an event is on the deny-list ("confirmed") or recorded and waiting to be delivered ("pending"). */
export type Propagation = "confirmed" | "pending";

/** A revocation recorded durably, ready to be delivered. */
export interface RecordedEvent {
  readonly event: RevocationEvent;
  /** Outbox id. */
  readonly id: string;
  /** Epoch ms it was recorded. */
  readonly acceptedAt: number;
  /** Recorded and delivered before (the same `jti` revoked again): there is nothing more to deliver. */
  readonly delivered: boolean;
}

/**
 * Records a revocation in the outbox, before the token changes in DynamoDB
 * (so a crash in between loses nothing: the outbox still holds it).
 */
export async function recordInOutbox(outbox: Outbox, event: RevocationEvent): Promise<RecordedEvent> {
  const item = await outbox.add(event);
  return { event, id: item.id, acceptedAt: item.createdAt, delivered: item.state === "propagated" };
}

/** Carries a revocation recorded in the outbox to the deny-list and every follower. */
export interface Propagator {
  deliver(recorded: RecordedEvent): Promise<Propagation>;
}

/**
 * Embedded default: this process is the only follower, and the change steps
 * have already applied the event to it, so delivery is immediate. The outbox
 * (in the embedded store, on disk) keeps every revocation, so the deny state
 * is loaded again at the next start.
 */
export function createInProcessPropagator(outbox: Outbox, now: () => number = Date.now): Propagator {
  return {
    async deliver({ id, delivered }) {
      if (!delivered) await outbox.markPropagated(id, now());
      return "confirmed";
    },
  };
}
