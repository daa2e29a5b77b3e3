import { randomBytes } from "node:crypto";
import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import type { TokenRecord } from "../tokens/types.js";

/**
 * The token lifecycle events, as webhook receivers see them (SPEC.md, "Token
 * lifecycle"). The payload is the shape Standard Webhooks recommends:
 * `{ "type", "timestamp", "data" }`; the event id travels as `webhook-id`.
 */
export const TOKEN_EVENT_TYPES = [
  "token.created",
  "token.rotated",
  "token.updated",
  "token.revoked",
  "token.restored",
  "token.expiring",
  "token.expired",
  "token.leaked",
  "token.unused_revoked",
  "owner.revoked",
] as const;

/**
 * Events that are not webhook events (SPEC lists those above) but other
 * listeners hear: one JWT denied by `jti` (a Shared Signals `session-revoked`).
 */
export const SIGNAL_ONLY_EVENT_TYPES = ["jwt.denied"] as const;

export type TokenEventType = (typeof TOKEN_EVENT_TYPES)[number] | (typeof SIGNAL_ONLY_EVENT_TYPES)[number];

/** True for the events webhook receivers get (not the signal-only ones). */
export function isWebhookEvent(event: { readonly type: string }): boolean {
  return (TOKEN_EVENT_TYPES as readonly string[]).includes(event.type);
}

/** A token's times, ISO 8601 in UTC; absent when the token has none. */
export interface TokenTimes {
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
  /** After a rotation with a grace period: when the previous secret stops working. */
  readonly previousSecretExpiresAt?: string;
}

/**
 * What every token event says about its token. Built field by field from the
 * record (never by spreading it), so no secret, PHC or internal attribute
 * can reach a receiver.
 */
export interface TokenEventData {
  readonly tokenId: string;
  readonly owner: string;
  readonly name?: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  readonly isRevoked: boolean;
  /** The RFC 7638 thumbprint of the key the PAT is bound to (DPoP); absent: not bound. */
  readonly dpopJkt?: string;
  /** True while the PAT waits to be bound to the key of its first exchange. */
  readonly dpopBindOnFirstUse?: boolean;
  /** The RFC 9396 details the PAT carries; absent: none. */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
  readonly times: TokenTimes;
  /**
   * Who caused the event: an admin (`owner (tokenId)` of the admin's PAT), the
   * holder (`holder (tokenId)`), a leak reporter (`github`, `report (ip)`),
   * `cli` for the CLI on the store, or `patgate` for the scheduler.
   */
  readonly actor: string;
}

/** Why a token was revoked: asked for, leaked, or its owner revoked. */
export type RevokeReason = "requested" | "leaked" | "owner";

/** The expiry warnings: 30, 7 and 1 days before. */
export type ExpiryThreshold = "30d" | "7d" | "1d";

interface Envelope<T extends TokenEventType, D> {
  /** Unique per event and stable across delivery attempts: the `webhook-id` header. */
  readonly id: string;
  readonly type: T;
  /** When it happened, ISO 8601. */
  readonly timestamp: string;
  readonly data: D;
}

export type TokenEvent =
  | Envelope<"token.created", TokenEventData>
  | Envelope<"token.rotated", TokenEventData & { readonly graceSeconds: number }>
  | Envelope<"token.updated", TokenEventData & { readonly changes: readonly string[] }>
  | Envelope<"token.revoked", TokenEventData & { readonly reason: RevokeReason }>
  | Envelope<"token.restored", TokenEventData>
  | Envelope<"token.expiring", TokenEventData & { readonly daysLeft: number; readonly threshold: ExpiryThreshold }>
  | Envelope<"token.expired", TokenEventData>
  | Envelope<
      "token.leaked",
      TokenEventData & {
        readonly alreadyRevoked: boolean;
        readonly url?: string;
        readonly source?: string;
      }
    >
  | Envelope<"token.unused_revoked", TokenEventData & { readonly unusedSeconds: number }>
  | Envelope<"owner.revoked", { readonly owner: string; readonly actor: string; readonly revokedTokens: number }>
  | Envelope<"jwt.denied", { readonly jti: string; readonly expiresAt: number; readonly actor: string }>;

/** The event of one type. */
export type TokenEventOf<T extends TokenEventType> = Extract<TokenEvent, { readonly type: T }>;

/** Types whose data describes one token. */
export type SingleTokenEventType = Exclude<TokenEventType, "owner.revoked" | "jwt.denied">;

/** What a token event of type `T` carries beyond the token itself. */
export type TokenEventExtras<T extends SingleTokenEventType> = Omit<
  TokenEventOf<T>["data"],
  Exclude<keyof TokenEventData, "actor">
>;

/**
 * Where events go. `emit` resolves once the event is recorded for delivery
 * (durably, for webhooks) and never rejects: a change already written to
 * DynamoDB is not undone because its event could not be recorded.
 */
export interface EventSink {
  emit(event: TokenEvent): Promise<void>;
}

/** Drops every event: no webhook configured. */
export const noEvents: EventSink = { emit: async () => {} };

/** Actor of events the scheduler causes (expiry, unused-token revocation). */
export const SCHEDULER_ACTOR = "patgate";

/** A new event id: `msg_` and 20 random bytes, base64url (a valid BullMQ job id: no `:`, not all digits). */
export function newEventId(): string {
  return `msg_${randomBytes(20).toString("base64url")}`;
}

function iso(epochSeconds: number | undefined): string | undefined {
  return epochSeconds === undefined ? undefined : new Date(epochSeconds * 1000).toISOString();
}

/** The public part of a record, for an event. */
export function tokenEventData(record: TokenRecord, actor: string): TokenEventData {
  const optional = {
    expiresAt: iso(record.expiresAt),
    revokedAt: iso(record.revokedAt),
    lastUsedAt: iso(record.lastUsedAt),
    previousSecretExpiresAt: iso(record.previousSecretExpiresAt),
  };
  const times: TokenTimes = {
    createdAt: new Date(record.createdAt * 1000).toISOString(),
    updatedAt: new Date(record.updatedAt * 1000).toISOString(),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
  return {
    tokenId: record.tokenId,
    owner: record.owner,
    ...(record.name === undefined ? {} : { name: record.name }),
    roles: [...record.roles],
    isAdmin: record.isAdmin,
    isRevoked: record.isRevoked,
    ...(record.dpopJkt === undefined ? {} : { dpopJkt: record.dpopJkt }),
    ...(record.dpopBindOnFirstUse ? { dpopBindOnFirstUse: true } : {}),
    ...(record.authorizationDetails ? { authorizationDetails: record.authorizationDetails } : {}),
    times,
    actor,
  };
}

/**
 * An event about one token.
 *
 * @example tokenEvent("token.revoked", record, { actor: "root (…)", reason: "requested" }, Date.now())
 */
export function tokenEvent<T extends SingleTokenEventType>(
  type: T,
  record: TokenRecord,
  extras: TokenEventExtras<T>,
  atMs: number,
  id: string = newEventId(),
): TokenEventOf<T> {
  const { actor, ...rest } = extras as TokenEventExtras<T> & { actor: string };
  return {
    id,
    type,
    timestamp: new Date(atMs).toISOString(),
    data: { ...tokenEventData(record, actor), ...rest },
  } as unknown as TokenEventOf<T>;
}

/** `owner.revoked`: every PAT of `owner` revoked at once. */
export function ownerRevokedEvent(
  owner: string,
  actor: string,
  revokedTokens: number,
  atMs: number,
): TokenEventOf<"owner.revoked"> {
  return {
    id: newEventId(),
    type: "owner.revoked",
    timestamp: new Date(atMs).toISOString(),
    data: { owner, actor, revokedTokens },
  };
}

/** `jwt.denied`: one JWT denied by its `jti` until `expiresAt` (epoch s). */
export function jwtDeniedEvent(
  jti: string,
  expiresAt: number,
  actor: string,
  atMs: number,
): TokenEventOf<"jwt.denied"> {
  return {
    id: newEventId(),
    type: "jwt.denied",
    timestamp: new Date(atMs).toISOString(),
    data: { jti, expiresAt, actor },
  };
}

/** The body a receiver gets: `{"type","timestamp","data"}`, the id left to the `webhook-id` header. */
export function eventPayload(event: TokenEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}

/**
 * Emits without ever failing the caller: the change the event describes is
 * already in DynamoDB. A sink that breaks its contract and rejects is reported
 * to `onError` (default: ignored).
 */
export async function emitSafely(
  sink: EventSink,
  event: TokenEvent,
  onError?: (error: unknown, event: TokenEvent) => void,
): Promise<void> {
  try {
    await sink.emit(event);
  } catch (error) {
    onError?.(error, event);
  }
}
