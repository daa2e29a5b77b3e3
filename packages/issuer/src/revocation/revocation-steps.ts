import type { DenyEntry, RevocationEvent } from "@patgate/shared";
import { emitSafely, noEvents, SCHEDULER_ACTOR, type TokenEvent } from "../events/token-events.js";
import { backOff, notFound, RevisionConflictError } from "../tokens/errors.js";
import type { StateChange, TokenRecord, TokenStore } from "../tokens/types.js";
import type { Propagation, RecordedEvent } from "./propagator.js";
import type { ChangeContext, RevocationOutcome, RevokerOptions } from "./revoker.js";

/** Attempts of a change that keeps meeting concurrent changes. */
const ATTEMPTS = 20;

/** The steps every revocation is made of (see `Revoker`), shared by its operations. */
export interface RevocationSteps {
  readonly store: TokenStore;
  readonly now: () => number;
  /** Emits a lifecycle event; a failing sink never fails the change. */
  emit(event: TokenEvent): Promise<void>;
  actorOf(by: ChangeContext | undefined): string;
  /** A revision mark on a token (`client`) or an owner (`sub`), living as long as a JWT from before can. */
  mark(kind: "client" | "sub", value: string, minRev: number): RevocationEvent;
  /** Records `event` durably (the outbox), before anything changes. */
  record(event: RevocationEvent): Promise<RecordedEvent>;
  /** Applies an event to this process (its PAT cache, its deny view). */
  applyLocally(event: RevocationEvent): void;
  /** Delivers a recorded event; a pending one is answered only once other issuers stopped trusting their caches. */
  deliver(recorded: RecordedEvent): Promise<Propagation>;
  /** Runs one read-record-write step again while it meets concurrent changes. */
  retrying<T>(step: () => Promise<T>): Promise<T>;
  /** The token as stored now; a missing one fails before anything is recorded. */
  current(tokenId: string): Promise<TokenRecord>;
  /** Records `event`, writes the change, applies it here, then delivers it. */
  apply<T extends StateChange>(event: RevocationEvent, write: () => Promise<T>): Promise<T & RevocationOutcome>;
}

export function createRevocationSteps(options: RevokerOptions): RevocationSteps {
  const {
    store,
    propagator,
    markLifetimeSeconds: lifetime,
    applyLocally,
    pendingSettleMs = 0,
    events = noEvents,
    now = Date.now,
  } = options;

  async function deliver(recorded: RecordedEvent): Promise<Propagation> {
    const propagation = await propagator.deliver(recorded);
    if (propagation === "pending" && pendingSettleMs > 0) {
      const wait = recorded.acceptedAt + pendingSettleMs - now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return propagation;
  }

  return {
    store,
    now,
    emit: (event) => emitSafely(events, event),
    actorOf: (by) => by?.actor ?? SCHEDULER_ACTOR,
    mark(kind, value, minRev) {
      const entry: DenyEntry = { kind, value, minRev, expiresAt: Math.floor(now() / 1000) + lifetime };
      return { type: "deny", entry };
    },
    record: (event) => propagator.record(event),
    applyLocally,
    deliver,
    async retrying(step) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await step();
        } catch (error) {
          if (!(error instanceof RevisionConflictError) || attempt >= ATTEMPTS) throw error;
        }
        await backOff(attempt);
      }
    },
    async current(tokenId) {
      const record = await store.get(tokenId);
      // A missing token fails before anything is recorded, so the outbox holds only real revocations.
      if (!record) throw notFound(tokenId);
      return record;
    },
    async apply(event, write) {
      const recorded = await propagator.record(event);
      const result = await write();
      applyLocally(event);
      return { ...result, propagation: await deliver(recorded) };
    },
  };
}
