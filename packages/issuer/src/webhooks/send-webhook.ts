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
 * and body never change), through {@link postOnce}. Never throws.
 */
export async function sendWebhook(
  target: WebhookTarget,
  delivery: { readonly id: string; readonly body: string },
  nowMs: number,
): Promise<SendResult> {
  return postOnce(
    target.url,
    {
      "content-type": "application/json",
      "user-agent": "patgate-webhooks",
      ...webhookHeaders(target.key, delivery.id, Math.floor(nowMs / 1000), delivery.body),
    },
    delivery.body,
    target.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
  );
}

/**
 * One POST of `body` to a receiver, the way every outgoing delivery is made:
 * a redirect is not followed (the URL was checked and signed for, the place it
 * points to was not), only a 2xx counts, `AbortSignal.timeout` bounds the
 * whole attempt (Node's `fetch` has none of its own). Never throws.
 */
export async function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<SendResult> {
  try {
    const response = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers,
      body,
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
