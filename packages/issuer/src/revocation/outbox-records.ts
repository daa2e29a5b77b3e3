import { createHash, randomBytes } from "node:crypto";
import { parseRevocationEvent, type RevocationEvent } from "@patgate/shared";

/**
 * Where a revocation is: waiting to be delivered, on the deny-list, or given
 * up on (its job failed for good: every attempt spent, or an event the
 * deny-list cannot carry).
 */
export type OutboxState = "pending" | "propagated" | "failed";

/** A revocation on its way from DynamoDB to the deny-list. */
export interface OutboxItem {
  readonly id: string;
  readonly event: RevocationEvent;
  readonly state: OutboxState;
  /** Epoch ms the revocation was accepted. */
  readonly createdAt: number;
  /** Epoch ms it reached the deny-list stream. */
  readonly propagatedAt?: number;
  /** Epoch ms its job failed for good. */
  readonly failedAt?: number;
  /** Why it failed, for `GET /admin/revocations` (an error message, at most 200 characters). */
  readonly reason?: string;
}

/**
 * The revocation outbox: every revocation is written here as `pending`
 * before anything else, and marked `propagated` by the worker once it is on
 * the deny-list. A revocation accepted while Redis is down therefore waits
 * here, in the source of truth, and the sweeper delivers it later.
 */
export interface Outbox {
  /**
   * Records `event` as pending. A `jti` denial is recorded once per `jti`: asked
   * again, the outbox returns the item it already holds (pending or
   * propagated), so repeating a revocation adds nothing.
   */
  add(event: RevocationEvent): Promise<OutboxItem>;
  markPropagated(id: string, at: number): Promise<void>;
  /**
   * Records that the item's job failed for good, and why. An item already
   * propagated stays propagated (a late failure of a duplicate changes nothing).
   */
  markFailed(id: string, at: number, reason: string): Promise<void>;
  /** Every item not propagated: pending (any age) and failed, oldest first, in one read. */
  undelivered(): Promise<OutboxItem[]>;
  /** The latest items, newest first, for `GET /admin/revocations`. */
  recent(limit: number): Promise<OutboxItem[]>;
}

/** How an outbox item is named, and how a stored one is read back. */

/** Propagated items that are not deny entries are kept this long (TTL). */
export const PROPAGATED_RETENTION_SECONDS = 7 * 86_400;
/**
 * A deny entry's item is kept this long after the entry itself expires (TTL),
 * pending or not: past its expiry it denies nothing, and the listing of recent
 * revocations has had a day to show it.
 */
export const DENY_RETENTION_AFTER_EXPIRY_SECONDS = 86_400;

/** Longest failure reason stored. */
export const MAX_REASON_LENGTH = 200;

const STATES: ReadonlySet<string> = new Set<OutboxState>(["pending", "propagated", "failed"]);

/**
 * The id of a `jti` denial: derived from the `jti`, so the same JWT revoked
 * twice (by two requests, two issuers) is one item, not two. Hashed: a `jti`
 * is the JWT's own text and may hold anything; a BullMQ job id must not
 * contain ':' nor be all digits.
 */
export function jtiOutboxId(jti: string): string {
  return `rv-jti-${createHash("sha256").update(jti).digest("base64url")}`;
}

export function outboxId(event: RevocationEvent, createdAt: number): string {
  if (event.type === "deny" && event.entry.kind === "jti") return jtiOutboxId(event.entry.value);
  // Time-ordered, unique, and a valid BullMQ job id: no ':' and not all digits.
  return `rv-${createdAt.toString(36)}-${randomBytes(8).toString("hex")}`;
}

export function toOutboxItem(raw: Record<string, unknown>): OutboxItem | null {
  const event = typeof raw.event === "string" ? parseRevocationEvent(JSON.parse(raw.event)) : null;
  if (!event || typeof raw.id !== "string" || typeof raw.createdAt !== "number") return null;
  return {
    id: raw.id,
    event,
    state: typeof raw.state === "string" && STATES.has(raw.state) ? (raw.state as OutboxState) : "pending",
    createdAt: raw.createdAt,
    ...(typeof raw.propagatedAt === "number" ? { propagatedAt: raw.propagatedAt } : {}),
    ...(typeof raw.failedAt === "number" ? { failedAt: raw.failedAt } : {}),
    ...(typeof raw.reason === "string" ? { reason: raw.reason } : {}),
  };
}
