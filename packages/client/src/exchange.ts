import { TokenClientError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import { parseRetryAfter } from "./retry-after.js";

/** A JWT the issuer handed out. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
}

/** One try: a token, or an error with the wait the issuer asked for. */
type Attempt = { readonly token: IssuedToken } | { readonly error: TokenClientError; readonly retryAfterMs?: number };

const FIRST_BACKOFF_MS = 200;

/**
 * True for the failures worth trying again: the issuer is busy (429), down
 * (503), or was not reached at all. Anything else (a revoked PAT, a bad
 * scope) would fail the same way again.
 */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof TokenClientError &&
    (error.code === "network_error" || error.status === 429 || error.status === 503)
  );
}

/** Exchanges the PAT for a JWT, retrying transient failures up to `maxRetries` times. */
export async function exchange(options: ResolvedOptions): Promise<IssuedToken> {
  let nonceRetried = false;
  for (let retry = 0; ; retry++) {
    const attempt = await tryOnce(options);
    if ("token" in attempt) return attempt.token;
    // The issuer wants a DPoP nonce (RFC 9449 §8): try once more at once with the one it sent.
    if (!nonceRetried && attempt.error.code === "use_dpop_nonce" && options.dpop?.hasNonce(options.tokenUrl)) {
      nonceRetried = true;
      retry--;
      continue;
    }
    if (retry >= options.maxRetries || !isTransient(attempt.error)) throw attempt.error;
    const waitMs = attempt.retryAfterMs ?? backoffMs(retry);
    await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, options.maxRetryDelayMs)));
  }
}

/** 200 ms doubling, with jitter (half fixed, half random) so many clients do not retry in step. */
function backoffMs(retry: number): number {
  const ceiling = FIRST_BACKOFF_MS * 2 ** retry;
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

async function tryOnce(options: ResolvedOptions): Promise<Attempt> {
  let response: Response;
  let text: string;
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  // A fresh proof per try: a proof is used once (its jti), and a retry may carry a new nonce.
  if (options.dpop) headers.dpop = await options.dpop.proof("POST", options.tokenUrl);
  try {
    response = await options.fetch(options.tokenUrl, {
      method: "POST",
      headers,
      body: options.form,
      // Node's fetch has no timeout of its own: a hung issuer must not hang every caller.
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Read inside the try: a connection cut mid-body is a network error too.
    text = await response.text();
  } catch (cause) {
    const error = new TokenClientError("network_error", undefined, `POST ${options.tokenUrl} failed`, { cause });
    return { error };
  }
  options.dpop?.noteNonce(options.tokenUrl, response.headers);
  const body = parseObject(text);
  if (response.ok) {
    const expected = options.dpop ? "dpop" : "bearer";
    const token = readToken(body, expected);
    return token ? { token } : { error: invalidResponse(response.status, `not a ${expected} token response`) };
  }
  const error =
    typeof body?.error === "string"
      ? new TokenClientError(redact(body.error, options.pat), response.status, describe(body, options.pat))
      : invalidResponse(response.status, "no OAuth error in the response body");
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), options.now());
  return retryAfterMs === undefined ? { error } : { error, retryAfterMs };
}

/** The token of a 200 answer, if it is one of the type asked for (`DPoP` when proofs were sent). */
function readToken(body: Record<string, unknown> | undefined, tokenType: "bearer" | "dpop"): IssuedToken | undefined {
  const accessToken = body?.access_token;
  const expiresIn = body?.expires_in;
  const type = body?.token_type;
  const valid =
    typeof accessToken === "string" &&
    accessToken !== "" &&
    typeof expiresIn === "number" &&
    Number.isFinite(expiresIn) &&
    expiresIn >= 0 &&
    typeof type === "string" &&
    type.toLowerCase() === tokenType;
  return valid ? { accessToken, expiresInSeconds: expiresIn } : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function describe(body: Record<string, unknown>, pat: string): string | undefined {
  return typeof body.error_description === "string" ? redact(body.error_description, pat) : undefined;
}

/** Cuts the PAT out of what the issuer sent, in case it was echoed back. */
function redact(text: string, pat: string): string {
  return text.replaceAll(pat, "[redacted]");
}

function invalidResponse(status: number, description: string): TokenClientError {
  return new TokenClientError("invalid_response", status, description);
}
