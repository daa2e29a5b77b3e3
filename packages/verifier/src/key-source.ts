import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import type { JWK } from "jose";
import { VerifierError } from "./errors.js";

/** A JWKS, as `createVerifier`'s `jwks` option takes it. */
export interface Jwks {
  readonly keys: readonly JWK[];
}

/** Where verification keys come from: a JWKS given in options (or a function returning it), or the issuer's JWKS URL. */
export interface KeySource {
  /** The key for a token header; throws `unknown_kid` or `jwks_unavailable`. */
  keyFor(header: { readonly kid?: string; readonly alg: string }): Promise<KeyObject>;
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

/** The key type each algorithm needs, so a token cannot pick a key of another kind (algorithm confusion). */
const KEY_TYPES: Readonly<Record<string, { kty: string; crv?: string }>> = {
  EdDSA: { kty: "OKP", crv: "Ed25519" },
  ES256: { kty: "EC", crv: "P-256" },
  RS256: { kty: "RSA" },
};

function fits(jwk: JWK, alg: string): boolean {
  const type = KEY_TYPES[alg];
  if (!type || jwk.kty !== type.kty) return false;
  if (type.crv && jwk.crv !== type.crv) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  return jwk.use === undefined || jwk.use === "sig";
}

function parseJwks(value: unknown): JWK[] {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error("not a JWKS: no keys array");
  // Only public members are ever used: a JWKS that leaks private parts still verifies, it never signs.
  return keys.filter((k): k is JWK => typeof k === "object" && k !== null && typeof (k as JWK).kty === "string");
}

/** RFC 7518 §3.3: an RSA key for RS256 must be 2048 bits or more (jose refuses smaller ones too). */
const MIN_RSA_BITS = 2048;

/** A JWK's public members as a KeyObject for `node:crypto.verify`; throws on a key that cannot be used. */
function importPublicKey(jwk: JWK): KeyObject {
  const { kty, crv, x, y, n, e } = jwk;
  const key = createPublicKey({ key: { kty, crv, x, y, n, e } as JsonWebKey, format: "jwk" });
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType === "rsa" && (bits === undefined || bits < MIN_RSA_BITS))
    throw new TypeError(`RSA keys must be at least ${MIN_RSA_BITS} bits`);
  return key;
}

/** Keys from a JWKS object, each imported once (and again only when a refetch replaces it). */
function keyRing() {
  // By the JWK object itself: no key string to build and hash on every verification.
  // `fits` has already matched the key type to the algorithm, so one KeyObject serves every algorithm it fits.
  const imported = new WeakMap<JWK, KeyObject>();
  return {
    find(keys: readonly JWK[], header: { kid?: string; alg: string }): JWK | undefined {
      const { kid, alg } = header;
      if (kid !== undefined) return keys.find((k) => k.kid === kid && fits(k, alg));
      // No kid: only an unambiguous single key may be used.
      const candidates = keys.filter((k) => fits(k, alg));
      return candidates.length === 1 ? candidates[0] : undefined;
    },
    import(jwk: JWK): KeyObject {
      let key = imported.get(jwk);
      if (!key) {
        // A key that fails to import is not remembered: the next token tries again (and fails the same way).
        key = importPublicKey(jwk);
        imported.set(jwk, key);
      }
      return key;
    },
  };
}

/**
 * A key source over a JWKS held in memory: a fixed one, or a function asked
 * for the current one on every key lookup (keys rotated in or out count at
 * once). Each JWK object is imported once, so a function should return the
 * same objects while the keys stay the same.
 */
export function createLocalKeySource(jwks: Jwks | (() => Jwks)): KeySource {
  const fixed = typeof jwks === "function" ? undefined : parseJwks(jwks);
  const current = (): JWK[] => {
    if (fixed) return fixed;
    try {
      return parseJwks((jwks as () => Jwks)());
    } catch (cause) {
      throw new VerifierError("jwks_unavailable", "the JWKS function gave no JWKS", { cause });
    }
  };
  const ring = keyRing();
  return {
    async keyFor(header) {
      const jwk = ring.find(current(), header);
      if (!jwk) throw new VerifierError("unknown_kid", "no key in the JWKS matches the token's kid and algorithm");
      return ring.import(jwk);
    },
  };
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
  const ring = keyRing();
  let keys: JWK[] | undefined;
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

  async function usableKeys(): Promise<JWK[]> {
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
    async keyFor(header) {
      let jwk = ring.find(await usableKeys(), header);
      if (!jwk && now() - lastAttemptAt >= cooldownMs) {
        // Maybe a key rotated in: refetch, once per cooldown whatever the kid.
        await (inflight ?? refresh()).catch(() => {});
        jwk = keys ? ring.find(keys, header) : undefined;
      }
      if (!jwk)
        throw new VerifierError("unknown_kid", "no key in the issuer's JWKS matches the token's kid and algorithm");
      return ring.import(jwk);
    },
  };
}
