import { ConfigError, durationSeconds, type Env, fail, flag, httpUrl } from "../env-values.js";
import { GITHUB_SECRET_SCANNING_KEYS_URL } from "../leaks/github-keys.js";
import { parseWebhookSecret, WEBHOOK_SECRET_PREFIX, type WebhookConfig } from "../webhooks/signature.js";
import type { IssuerConfig } from "./issuer-config.js";

export type LifecycleConfig = Pick<
  IssuerConfig,
  "embeddedWorker" | "githubKeysUrl" | "webhook" | "revokeUnusedAfterSeconds"
>;

/** A URL for an error message, without any user:password it carries. */
function withoutCredentials(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, "//***@");
}

/**
 * The webhook pair: both or neither. The secret is never echoed in an error,
 * not even in part.
 */
function webhookConfig(env: Env): WebhookConfig | undefined {
  const url = env.PATGATE_WEBHOOK_URL?.trim() || undefined;
  const secret = env.PATGATE_WEBHOOK_SECRET?.trim() || undefined;
  if (url === undefined && secret === undefined) return undefined;
  if (url === undefined) throw new ConfigError("PATGATE_WEBHOOK_URL must be set when PATGATE_WEBHOOK_SECRET is");
  if (secret === undefined) throw new ConfigError("PATGATE_WEBHOOK_SECRET must be set when PATGATE_WEBHOOK_URL is");
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    fail("PATGATE_WEBHOOK_URL", "must be an http(s) URL", withoutCredentials(url));
  if (!parseWebhookSecret(secret)) {
    const problem = secret.startsWith(WEBHOOK_SECRET_PREFIX)
      ? "got a value whose base64 part is malformed or of another length"
      : `got a value without the ${WEBHOOK_SECRET_PREFIX} prefix`;
    throw new ConfigError(
      `PATGATE_WEBHOOK_SECRET must be ${WEBHOOK_SECRET_PREFIX} followed by the base64 of 24 to 64 random bytes; ${problem}`,
    );
  }
  return { url, secret };
}

/**
 * `PATGATE_REVOKE_UNUSED_AFTER`: a number and a unit (`h`, `d`, `w`, `y`), at
 * least a day and at most ten years. A unit is required: a bare `90` meaning
 * 90 seconds would revoke nearly every token.
 */
function unusedAfter(env: Env): number | undefined {
  const raw = env.PATGATE_REVOKE_UNUSED_AFTER?.trim();
  if (!raw) return undefined;
  const seconds = durationSeconds(raw, "hdwy");
  if (seconds < 86_400 || seconds > 10 * 365 * 86_400)
    fail("PATGATE_REVOKE_UNUSED_AFTER", "must be a duration from 1d to 10y, like 90d, 12w or 1y", raw);
  return seconds;
}

/** What happens around tokens: the revocation worker, leak reports, webhooks, the unused-token sweep. */
export function readLifecycleConfig(env: Env): LifecycleConfig {
  const webhook = webhookConfig(env);
  const revokeUnusedAfterSeconds = unusedAfter(env);
  return {
    embeddedWorker: flag(env, "PATGATE_WORKER", true),
    githubKeysUrl: env.PATGATE_GITHUB_KEYS_URL?.trim()
      ? httpUrl("PATGATE_GITHUB_KEYS_URL", env.PATGATE_GITHUB_KEYS_URL.trim())
      : GITHUB_SECRET_SCANNING_KEYS_URL,
    ...(webhook === undefined ? {} : { webhook }),
    ...(revokeUnusedAfterSeconds === undefined ? {} : { revokeUnusedAfterSeconds }),
  };
}
