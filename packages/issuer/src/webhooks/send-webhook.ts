import { webhookHeaders } from "./signature.js";

/** Longest one delivery attempt may take, ms (connect, send, answer). Default 10 000. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** What one attempt came to: the receiver took it (2xx), or why not. */
export type SendResult =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly status?: number; readonly error: string };

export interface WebhookTarget {
  readonly url: string;
  /** The signing key: the secret's base64 part, decoded (see `parseWebhookSecret`). */
  readonly key: Buffer;
  /** Per attempt, ms; default {@link WEBHOOK_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/**
 * One delivery attempt: POSTs `body` with the Standard Webhooks headers,
 * signed at `nowMs` (so each attempt has its own `webhook-timestamp`; the id
 * and body never change). Only a 2xx counts: a redirect is not followed (the
 * signature was made for this URL), anything else is a failure to retry.
 * `AbortSignal.timeout` bounds the whole attempt, as Node's `fetch` has no
 * timeout of its own. Never throws.
 */
export async function sendWebhook(
  target: WebhookTarget,
  delivery: { readonly id: string; readonly body: string },
  nowMs: number,
): Promise<SendResult> {
  const timeoutMs = target.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  try {
    const response = await fetch(target.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "patgate-webhooks",
        ...webhookHeaders(target.key, delivery.id, Math.floor(nowMs / 1000), delivery.body),
      },
      body: delivery.body,
    });
    // The answer's body is not used; reading it (bounded by the same signal) frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: `the receiver answered ${response.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "TimeoutError" || name === "AbortError")
      return { ok: false, error: `no answer within ${timeoutMs} ms` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, error: `the request failed: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}
