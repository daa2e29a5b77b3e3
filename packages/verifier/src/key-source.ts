import type { KeyObject } from "node:crypto";
import type { JWK } from "jose";
import { VerifierError } from "./errors.js";
import { chooseKey, type Jwks, type KeyHeader, keyImporter, noKey, parseJwks } from "./jwks.js";

export type { Jwks } from "./jwks.js";

/** Where verification keys come from: a JWKS given in options (or a function returning it), or the issuer's JWKS URL. */
export interface KeySource {
  /** The key for a token header; throws `unknown_kid` or `jwks_unavailable`. */
  keyFor(header: KeyHeader): Promise<KeyObject>;
  /**
   * The same answer without a promise when it is known now (keys in memory
   * and fresh); undefined when only `keyFor` can tell. Throws as `keyFor` rejects.
   */
  keyNow?(header: KeyHeader): KeyObject | undefined;
}

export interface RemoteKeySourceOptions {
  /** Timeout of one JWKS request; default 5000 ms (Node's fetch has none of its own). */
  readonly timeoutMs?: number;
  /** Least time between two fetches triggered by an unknown `kid`; default 30 000 ms. */
  readonly cooldownMs?: number;
  /** How long fetched keys are fresh when the response has no `Cache-Control: max-age`; default 300 000 ms. */
  readonly defaultMaxAgeMs?: number;
  /** How long keys past their max-age are still used while the issuer cannot be reached; default 3 600 000 ms. */
  readonly maxStaleMs?: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/**
 * A key source over a JWKS held in memory: a fixed one, or a function asked
 * for the current one on every key lookup (keys rotated in or out count at
 * once). Each JWK object is imported once, so a function should return the
 * same objects while the keys stay the same.
 */
export function createLocalKeySource(jwks: Jwks | (() => Jwks)): KeySource {
  const fixed = typeof jwks === "function" ? undefined : parseJwks(jwks);
  const current = (): readonly JWK[] => {
    if (fixed) return fixed;
    try {
      // Checked on every lookup (a loop over a few keys): the function may hand back a set it changed in place.
      return parseJwks((jwks as () => Jwks)());
    } catch (cause) {
      throw new VerifierError("jwks_unavailable", "the JWKS function gave no JWKS of public keys", { cause });
    }
  };
  const importKey = keyImporter();
  const keyNow = (header: KeyHeader): KeyObject => {
    const choice = chooseKey(current(), header);
    if (typeof choice === "string") throw noKey(choice, "the JWKS");
    return importKey(choice);
  };
  return { keyNow, keyFor: async (header) => keyNow(header) };
}

function maxAgeOf(cacheControl: string | null): number | undefined {
  const match = cacheControl ? /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl) : null;
  return match?.[1] ? Number(match[1]) * 1000 : undefined;
}

/**
 * A key source over the issuer's JWKS URL. Unlike the popular libraries it
 * honours the response's `Cache-Control: max-age`, keeps using keys a while
 * when the issuer is unreachable (stale-if-error), refetches on an unknown
 * `kid` at most once per cooldown (a flood of forged kids costs one request),
 * and never lets a request hang (AbortSignal timeout).
 */
export function createRemoteKeySource(url: URL, options: RemoteKeySourceOptions = {}): KeySource {
  const {
    timeoutMs = 5000,
    cooldownMs = 30_000,
    defaultMaxAgeMs = 300_000,
    maxStaleMs = 3_600_000,
    now = Date.now,
    fetch: fetchImpl = fetch,
  } = options;
  const importKey = keyImporter();
  let keys: readonly JWK[] | undefined;
  let fetchedAt = 0;
  let freshUntil = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;

  function refresh(): Promise<void> {
    inflight ??= (async () => {
      lastAttemptAt = now();
      try {
        const response = await fetchImpl(url, {
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "error",
          headers: { accept: "application/json" },
        });
        if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
        keys = parseJwks(await response.json());
        fetchedAt = now();
        freshUntil =
          fetchedAt + Math.min(maxAgeOf(response.headers.get("cache-control")) ?? defaultMaxAgeMs, 86_400_000);
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  }

  async function usableKeys(): Promise<readonly JWK[]> {
    if (!keys) {
      // Nothing fetched yet: try, but not more than once a second while the issuer is down.
      if (now() - lastAttemptAt < Math.min(cooldownMs, 1000) && !inflight) {
        throw new VerifierError("jwks_unavailable", "the issuer's JWKS could not be fetched");
      }
      await refresh().catch((cause: unknown) => {
        throw new VerifierError("jwks_unavailable", "the issuer's JWKS could not be fetched", { cause });
      });
    } else if (now() >= freshUntil && !inflight) {
      // Stale: revalidate in the background and keep serving what we have.
      refresh().catch(() => {});
    }
    if (!keys || now() > freshUntil + maxStaleMs) {
      throw new VerifierError("jwks_unavailable", "the issuer's JWKS has been unreachable for too long");
    }
    return keys;
  }

  return {
    keyNow(header) {
      // Only the plain case: fresh keys holding this one. Anything else (a fetch, a stale set, a miss) is keyFor's.
      if (!keys || now() >= freshUntil) return undefined;
      const choice = chooseKey(keys, header);
      return typeof choice === "string" ? undefined : importKey(choice);
    },
    async keyFor(header) {
      let choice = chooseKey(await usableKeys(), header);
      if (choice === "none" && (header.kid === undefined || typeof header.kid === "string")) {
        // Maybe a key rotated in. A revalidation under way (started by this very lookup when the keys went
        // stale) may bring it: wait for it. Else refetch, once per cooldown whatever the kid.
        const pending = inflight ?? (now() - lastAttemptAt >= cooldownMs ? refresh() : undefined);
        if (pending) {
          await pending.catch(() => {});
          if (keys) choice = chooseKey(keys, header);
        }
      }
      if (typeof choice === "string") throw noKey(choice, "the issuer's JWKS");
      return importKey(choice);
    },
  };
}
