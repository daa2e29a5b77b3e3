import { exchange, isTransient } from "./exchange.js";
import { resolveOptions, type TokenClientOptions } from "./options.js";
import { credentialHeaders, type ResourceFetchParts, resourceFetch } from "./resource-fetch.js";

/** Hands out a valid patgate JWT for one PAT. Create one per PAT and share it. */
export interface TokenClient {
  /**
   * The cached JWT, or a fresh one when it is close to expiry. Concurrent
   * calls share one request to the issuer.
   * @throws {TokenClientError} when the exchange fails (after retries for 429, 503 and network errors).
   */
  getToken(): Promise<string>;
  /**
   * `{ authorization: "Bearer <jwt>" }`, to spread into request headers.
   * @throws {TypeError} with the `dpop` option: a bound JWT needs a proof per request (use `fetch` or `requestHeaders`).
   */
  authorization(): Promise<{ authorization: string }>;
  /**
   * Calls a resource server with the JWT: `Authorization: Bearer <jwt>`, or
   * with the `dpop` option `Authorization: DPoP <jwt>` and a fresh `DPoP`
   * proof for this method and URL; a `use_dpop_nonce` answer (401 with a
   * `DPoP-Nonce`) is retried once with that nonce, unless the body is a stream.
   * @throws {TokenClientError} when the exchange fails; whatever `fetch` throws.
   */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
  /**
   * The headers for one request made with another HTTP client: `authorization`,
   * and with the `dpop` option a `dpop` proof for this method and URL (use it once).
   */
  requestHeaders(method: string, url: string | URL): Promise<{ authorization: string; dpop?: string }>;
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

  const resource: ResourceFetchParts = {
    getToken,
    fetch: settings.fetch,
    ...(settings.dpop ? { dpop: settings.dpop } : {}),
  };
  return {
    getToken,
    async authorization() {
      if (settings.dpop)
        throw new TypeError(
          "authorization(): a DPoP-bound JWT needs a proof per request; use fetch() or requestHeaders()",
        );
      return { authorization: `Bearer ${await getToken()}` };
    },
    fetch: (url, init) => resourceFetch(resource, url, init),
    requestHeaders: (method, url) => credentialHeaders(resource, method, new URL(url).href),
    invalidate() {
      cached = undefined;
    },
  };
}
