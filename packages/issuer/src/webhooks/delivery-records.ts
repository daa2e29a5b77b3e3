import { decodeCursor, encodeCursor } from "../dynamo/dynamo-helpers.js";
import { invalid } from "../tokens/errors.js";

export type DeliveryState = "pending" | "delivered" | "failed";

/** One event on its way to the webhook receiver. */
export interface WebhookDelivery {
  /** The event id: the `webhook-id` header, the BullMQ job id. */
  readonly id: string;
  readonly type: string;
  /** The exact body POSTed on every attempt: `{"type","timestamp","data"}`. */
  readonly body: string;
  readonly state: DeliveryState;
  /** Attempts made so far. */
  readonly attempts: number;
  /** Epoch ms the event was recorded. */
  readonly createdAt: number;
  /** Pending: when it is next due (epoch ms). Failed: when it failed. */
  readonly dueAt?: number;
  readonly lastAttemptAt?: number;
  /** HTTP status of the last attempt, when the receiver answered. */
  readonly lastStatus?: number;
  readonly lastError?: string;
  readonly deliveredAt?: number;
  readonly failedAt?: number;
}

/** What one attempt came to. */
export interface AttemptResult {
  readonly at: number;
  readonly status?: number;
  readonly error?: string;
}

/** How a stored delivery is read back, paged, and what an attempt leaves on it. */

/** How long a delivered event is kept (TTL), seconds: a week. */
export const DELIVERED_RETENTION_SECONDS = 7 * 86_400;
/** How long a failed one is kept, seconds: 30 days, to be looked at and retried. */
export const FAILED_RETENTION_SECONDS = 30 * 86_400;
/** Longest error text kept with a delivery. */
const MAX_ERROR_LENGTH = 300;

function number(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function toDelivery(raw: Record<string, unknown> | undefined): WebhookDelivery | null {
  if (!raw || typeof raw.id !== "string" || typeof raw.body !== "string" || typeof raw.type !== "string") return null;
  const state: DeliveryState = raw.state === "delivered" || raw.state === "failed" ? raw.state : "pending";
  const optional = {
    dueAt: number(raw.dueAt),
    lastAttemptAt: number(raw.lastAttemptAt),
    lastStatus: raw.lastStatus === 0 ? undefined : number(raw.lastStatus),
    lastError: typeof raw.lastError === "string" && raw.lastError !== "" ? raw.lastError : undefined,
    deliveredAt: number(raw.deliveredAt),
    failedAt: number(raw.failedAt),
  };
  return {
    id: raw.id,
    type: raw.type,
    body: raw.body,
    state,
    attempts: number(raw.attempts) ?? 0,
    createdAt: number(raw.createdAt) ?? 0,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

export function deliveryCursor(key: Record<string, unknown>): string {
  return encodeCursor([key.id, key.queue, key.dueAt]);
}

export function deliveryPageStart(cursor: string, state: string): Record<string, unknown> {
  const value = decodeCursor(cursor);
  if (value && typeof value[0] === "string" && value[1] === state && typeof value[2] === "number")
    return { id: value[0], queue: value[1], dueAt: value[2] };
  throw invalid("cursor", "is not a cursor from a previous page");
}

/** What an attempt leaves on the item: when, the status (0: no answer) and the error ("": none). */
export function lastAttempt(result: AttemptResult): { sets: string; values: Record<string, unknown> } {
  return {
    sets: "lastAttemptAt = :at, lastStatus = :status, lastError = :error",
    values: {
      ":at": result.at,
      ":status": result.status ?? 0,
      ":error": (result.error ?? "").slice(0, MAX_ERROR_LENGTH),
    },
  };
}
