import { exchange, isTransient } from "./exchange.js";
import { resolveOptions, type TokenClientOptions } from "./options.js";

/** Hands out a valid patgate JWT for one PAT. Create one per PAT and share it. */
export interface TokenClient {
  /**
   * The cached JWT, or a fresh one when it is close to expiry. Concurrent
   * calls share one request to the issuer.
   * @throws {TokenClientError} when the exchange fails (after retries for 429, 503 and network errors).
   */
  getToken(): Promise<string>;
  /** `{ authorization: "Bearer <jwt>" }`, to spread into request headers. */
  authorization(): Promise<{ authorization: string }>;
  /** Drops the cached JWT, e.g. after a service answered 401 with it; the next call exchanges again. */
  invalidate(): void;
}

interface CachedToken {
  readonly token: string;
  /** From here on, callers wait for a fresh token. */
  readonly refreshAt: number;
  /** The real expiry: the token may still be served until here if the issuer is unreachable. */
  readonly expiresAt: number;
}

/**
 * Creates a client that exchanges `pat` at `<issuer>/token` and keeps the JWT
 * until `refreshBeforeSeconds` before it expires.
 *
 * Graceful degradation: when a refresh fails with a transient error (429, 503
 * or network, after the retries) while the cached JWT has not really expired,
 * that JWT is returned instead of the error, and the next call tries again.
 * Any other failure (e.g. a revoked PAT) is thrown.
 *
 * @throws {TypeError} at once for a missing PAT, a non-http(s) issuer or a bad number.
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const settings = resolveOptions(options);
  let cached: CachedToken | undefined;
  let inflight: Promise<string> | undefined;

  async function refresh(): Promise<string> {
    try {
      const issued = await exchange(settings);
      // The lifetime counts from the response: the JWT itself is never decoded.
      const receivedAt = settings.now();
      const lifetimeMs = issued.expiresInSeconds * 1000;
      const marginMs = Math.min(settings.refreshBeforeMs, lifetimeMs / 2);
      cached = {
        token: issued.accessToken,
        refreshAt: receivedAt + lifetimeMs - marginMs,
        expiresAt: receivedAt + lifetimeMs,
      };
      return issued.accessToken;
    } catch (error) {
      // Read `cached` now, not before the exchange: invalidate() meanwhile means "do not serve it".
      if (cached !== undefined && isTransient(error) && settings.now() < cached.expiresAt) return cached.token;
      throw error;
    }
  }

  async function getToken(): Promise<string> {
    if (cached !== undefined && settings.now() < cached.refreshAt) return cached.token;
    // Single flight: everyone arriving during a refresh waits for the same one,
    // and a failure is not remembered, so the next call tries again.
    inflight ??= refresh().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  return {
    getToken,
    async authorization() {
      return { authorization: `Bearer ${await getToken()}` };
    },
    invalidate() {
      cached = undefined;
    },
  };
}
