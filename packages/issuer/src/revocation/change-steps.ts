import type { DenyEntry, RevocationEvent } from "@patgate/shared";
import { type EventSink, emitSafely, noEvents, SCHEDULER_ACTOR, type TokenEvent } from "../events/token-events.js";
import type { StatusIndexes } from "../status-list/status-indexes.js";
import { backOff, notFound, RevisionConflictError } from "../tokens/errors.js";
import type { StateChange, TokenRecord, TokenStore } from "../tokens/types.js";
import type { Outbox } from "./outbox-records.js";
import { type Propagation, type Propagator, type RecordedEvent, recordInOutbox } from "./propagator.js";

/** Attempts of a change that keeps meeting concurrent changes. */
const ATTEMPTS = 20;

/** A change to a token and how far its revocation got. */
export interface RevocationOutcome extends StateChange {
  readonly propagation: Propagation;
}

export interface ChangeStepsOptions {
  readonly store: TokenStore;
  /** Where every revocation is recorded first, before anything changes. */
  readonly outbox: Outbox;
  /** Delivers what the outbox recorded to every issuer and verifier. */
  readonly propagator: Propagator;
  /**
   * How long a mark must live, seconds: the longest a JWT derived from the old
   * state can live after the change (see `markLifetimeSeconds`).
   */
  readonly markLifetimeSeconds: number;
  /** Applies an event to this process (its PAT cache, its deny view) before the request answers. */
  readonly applyLocally: (event: RevocationEvent) => void;
  /**
   * When an event could not be confirmed on the stream, the answer waits until
   * this many ms after it was recorded: every other issuer has stopped trusting
   * its PAT cache by then (its feed went stale too), so "answered" means no
   * issuer mints from the old state. 0 in the embedded default.
   */
  readonly pendingSettleMs?: number;
  /**
   * Writes a deny event to the deny-list at once, ahead of the outbox and
   * DynamoDB (see `early-deny.ts`): a head start for verifiers, never the
   * delivery. Absent in the embedded default.
   */
  readonly earlyDeny?: (event: RevocationEvent) => void;
  /** Where lifecycle events go (`token.revoked`, `owner.revoked`, ...); default nowhere. */
  readonly events?: EventSink;
  /** Current time, epoch ms. */
  readonly now?: () => number;
  /** The Token Status List's indexes (`PATGATE_STATUS_LIST=on`); absent: no status list. */
  readonly statusIndexes?: Pick<StatusIndexes, "replace" | "deny" | "bits">;
}

/**
 * The steps every change of `TokenChanges` is made of: record the event
 * durably, write the change conditionally, apply it here, deliver it, emit
 * its lifecycle event; and start again from a fresh read on a concurrent change.
 */
export class ChangeSteps {
  readonly store: TokenStore;
  readonly now: () => number;
  readonly #options: ChangeStepsOptions;
  readonly #events: EventSink;

  constructor(options: ChangeStepsOptions) {
    this.#options = options;
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.#events = options.events ?? noEvents;
  }

  /** Emits a lifecycle event; a failing sink never fails the change. */
  emit(event: TokenEvent): Promise<void> {
    return emitSafely(this.#events, event);
  }

  /** The actor of a change's event: whoever asked, else the scheduler. */
  actorOf(by: { readonly actor?: string } | undefined): string {
    return by?.actor ?? SCHEDULER_ACTOR;
  }

  /** A revision mark on a token (`client`) or an owner (`sub`), living as long as a JWT from before can. */
  mark(kind: "client" | "sub", value: string, minRev: number): RevocationEvent {
    const expiresAt = Math.floor(this.now() / 1000) + this.#options.markLifetimeSeconds;
    const entry: DenyEntry = { kind, value, minRev, expiresAt };
    return { type: "deny", entry };
  }

  /**
   * Before a write that denies `before`'s JWTs: its status index is set INVALID
   * in DynamoDB (after the outbox record, before the write; Redis being down changes nothing)
   * and the write gets a fresh one. Empty without a status list.
   */
  async freshStatusIndex(before: TokenRecord): Promise<{ readonly statusIdx?: number }> {
    const indexes = this.#options.statusIndexes;
    return indexes ? { statusIdx: await indexes.replace(before) } : {};
  }

  /** A fresh status index, denying nothing (a restore: the index of the revoked state may be INVALID). */
  async newStatusIndex(): Promise<{ readonly statusIdx?: number }> {
    const indexes = this.#options.statusIndexes;
    return indexes ? { statusIdx: await indexes.bits.allocate() } : {};
  }

  /** Sets `record`'s status index INVALID (no fresh one: an owner revocation). */
  async denyStatus(record: TokenRecord): Promise<void> {
    await this.#options.statusIndexes?.deny(record);
  }

  /** Records `event` durably (the outbox), before anything changes. */
  record(event: RevocationEvent): Promise<RecordedEvent> {
    this.#options.earlyDeny?.(event);
    return recordInOutbox(this.#options.outbox, event);
  }

  /** Applies an event to this process (its PAT cache, its deny view). */
  applyLocally(event: RevocationEvent): void {
    this.#options.applyLocally(event);
  }

  /** Delivers a recorded event; a pending one is answered only once other issuers stopped trusting their caches. */
  async deliver(recorded: RecordedEvent): Promise<Propagation> {
    const propagation = await this.#options.propagator.deliver(recorded);
    const settleMs = this.#options.pendingSettleMs ?? 0;
    if (propagation === "pending" && settleMs > 0) {
      const wait = recorded.acceptedAt + settleMs - this.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return propagation;
  }

  /** Runs one read-record-write step again while it meets concurrent changes. */
  async retrying<T>(step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof RevisionConflictError) || attempt >= ATTEMPTS) throw error;
      }
      await backOff(attempt);
    }
  }

  /** The token as stored now; a missing one fails before anything is recorded, so the outbox holds only real revocations. */
  async current(tokenId: string): Promise<TokenRecord> {
    const record = await this.store.get(tokenId);
    if (!record) throw notFound(tokenId);
    return record;
  }

  /** Records `event`, writes the change, applies it here, then delivers it. */
  async apply<T extends StateChange>(event: RevocationEvent, write: () => Promise<T>): Promise<T & RevocationOutcome> {
    const recorded = await this.record(event);
    const result = await write();
    this.applyLocally(event);
    return { ...result, propagation: await this.deliver(recorded) };
  }
}
