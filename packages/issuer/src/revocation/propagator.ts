import type { RevocationEvent } from "@patgate/shared";
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
  /** Recorded and delivered before (the same `jti` revoked again): there is nothing more to deliver. */
  readonly delivered?: boolean;
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
 * Embedded default: this process is the only follower, and the revoker has
 * already applied the event to it, so delivery is immediate. The outbox (in
 * the embedded store, on disk) keeps every revocation, so the deny state is
 * loaded again at the next start.
 */
export function createInProcessPropagator(outbox: Outbox, now: () => number = Date.now): Propagator {
  return {
    async record(event) {
      const item = await outbox.add(event);
      return { event, id: item.id, acceptedAt: item.createdAt, delivered: item.state === "propagated" };
    },
    async deliver({ id, delivered }) {
      if (id && !delivered) await outbox.markPropagated(id, now());
      return "confirmed";
    },
    async close() {},
  };
}
