import type { SendResult } from "./send-webhook.js";
import type { WebhookDeliveries, WebhookDelivery } from "./webhook-deliveries.js";
import { backoffAfter, type RetryPolicy } from "./webhook-queue.js";

/** Counts of what deliveries came to (the issuer's metrics). */
export interface DeliveryHooks {
  /** A receiver took an event. */
  readonly onDelivered?: () => void;
  /** An event's last attempt failed: it is listed as failed. */
  readonly onFailed?: () => void;
}

/** Makes one attempt at `nowMs`; never throws (see `sendWebhook`). */
export type DeliverySender = (delivery: WebhookDelivery, nowMs: number) => Promise<SendResult>;

export interface AttemptParts {
  readonly deliveries: WebhookDeliveries;
  /** One attempt: the webhook POST, or (Shared Signals) a SET pushed to a stream's endpoint. */
  readonly send: DeliverySender;
  /** Longest an attempt takes, ms (bounds the embedded queue's lease); default 10 000. */
  readonly timeoutMs?: number;
  readonly policy: RetryPolicy;
  readonly hooks: DeliveryHooks;
  readonly now: () => number;
  /**
   * Added to the next due time after a failure, ms. With Redis, BullMQ makes
   * the retry and the item's due time only tells the sweeper when to check
   * that a job still exists, so it is set past BullMQ's own retry. Default 0.
   */
  readonly dueSlackMs?: number;
}

/**
 * Makes attempt number `attempt` of a delivery, then records it: delivered,
 * due again after the back-off, or (the last attempt) failed.
 */
export async function attemptDelivery(
  parts: AttemptParts,
  delivery: WebhookDelivery,
  attempt: number,
): Promise<SendResult & { readonly final: boolean }> {
  const { deliveries, send, policy, hooks, now, dueSlackMs = 0 } = parts;
  const result = await send(delivery, now());
  const at = now();
  if (result.ok) {
    await deliveries.delivered(delivery.id, attempt, { at, status: result.status });
    hooks.onDelivered?.();
    return { ...result, final: true };
  }
  const outcome = { at, error: result.error, ...(result.status === undefined ? {} : { status: result.status }) };
  if (attempt >= policy.attempts) {
    await deliveries.failed(delivery.id, attempt, outcome);
    hooks.onFailed?.();
    return { ...result, final: true };
  }
  await deliveries.retryAt(delivery.id, attempt, outcome, at + backoffAfter(policy, attempt) + dueSlackMs);
  return { ...result, final: false };
}
