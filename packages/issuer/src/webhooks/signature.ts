import { createHmac } from "node:crypto";

/** `PATGATE_WEBHOOK_URL` and `PATGATE_WEBHOOK_SECRET`, always set together. */
export interface WebhookConfig {
  /** An http(s) URL. */
  readonly url: string;
  /** `whsec_` and the base64 of 24 to 64 random bytes (the Standard Webhooks format). */
  readonly secret: string;
}

/** Prefix of a Standard Webhooks secret: `whsec_` then base64. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** Shortest and longest signing key, bytes (the Standard Webhooks recommendation). */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

/**
 * The signing key of a `whsec_…` secret: the base64 after the prefix,
 * decoded. Null when the prefix is missing, the base64 is not canonical
 * (standard alphabet, padded) or the key is not 24 to 64 bytes.
 *
 * @example parseWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?.length // 24
 */
export function parseWebhookSecret(secret: string): Buffer | null {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return null;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  // Node's decoder skips characters it does not know; a strict pattern first, so typos are not silently dropped.
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return null;
  const key = Buffer.from(encoded, "base64");
  if (key.toString("base64") !== encoded) return null;
  return key.length >= MIN_KEY_BYTES && key.length <= MAX_KEY_BYTES ? key : null;
}

/**
 * The `webhook-signature` value for one attempt: `v1,` and the base64
 * HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's key.
 *
 * @example signWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')
 * // "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
 */
export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers of one delivery attempt. */
export function webhookHeaders(
  key: Buffer,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signWebhook(key, id, timestampSeconds, body),
  };
}
