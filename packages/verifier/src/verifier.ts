import type { AuthContext } from "./auth-context.js";
import { createAuthorization, type Verified } from "./authorization.js";
import type { DenyList } from "./deny-list/deny-list.js";
import { VerifierError } from "./errors.js";
import { createTokenCache } from "./token-cache.js";

/** A verifier built by {@link createVerifier}. */
export interface Verifier {
  /** Verifies a JWT; resolves to who is calling or throws a {@link VerifierError}. */
  verify(token: string): Promise<AuthContext>;
  /**
   * The synchronous fast path of `verify`, for adapters: a token verified
   * before and still cached gets every per-call check (expiry, deny-list,
   * roles) and its AuthContext now, or the same error `verify` would throw.
   * Undefined means it cannot be decided synchronously: call `verify`.
   */
  verifyCached(token: string): AuthContext | undefined;
  /** Releases what the verifier created (the Redis follower). Idempotent. */
  close(): Promise<void>;
}

/** The parts of a verifier, every option already checked and resolved (see `create-verifier.ts`). */
export interface VerifierParts {
  /** Checks a token's signature and claims (see `check-jwt.ts`). */
  readonly checkJwt: (token: string) => Promise<AuthContext>;
  /** Consulted on every call; none means revocation only takes effect when JWTs expire. */
  readonly denyList: DenyList | undefined;
  /** Whether the verifier made the deny-list, and so closes it. */
  readonly ownsDenyList: boolean;
  readonly requiredRoles: readonly string[];
  /** Most verified tokens cached, or false for no cache. */
  readonly cacheSize: number | false;
  readonly now: () => number;
}

/** Longest token accepted: real ones are well under 2 kB. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * The verifier itself: a cache of verified tokens in front of the JWT check,
 * and the checks made on every call behind it. It takes a ready DenyList and
 * knows nothing of where it comes from.
 */
export function buildVerifier(parts: VerifierParts): Verifier {
  const { checkJwt, denyList, now } = parts;
  const cache = parts.cacheSize === false ? undefined : createTokenCache<Verified>(parts.cacheSize);
  const authorization = createAuthorization({ denyList, requiredRoles: parts.requiredRoles, now });
  let closed = false;
  return {
    verifyCached(token) {
      // Only what can be decided now: a cached token with the deny-list loaded.
      if (!cache || !authorization.loaded || typeof token !== "string" || token.length > MAX_TOKEN_LENGTH)
        return undefined;
      const verified = cache.get(token, Math.floor(now() / 1000));
      return verified && authorization.authorizeNow(verified);
    },
    async verify(token) {
      if (typeof token !== "string" || token.length === 0) throw new VerifierError("token_missing", "no token");
      // The shape is jose's to check, on a cache miss; a cache hit is a string already verified.
      if (token.length > MAX_TOKEN_LENGTH) throw new VerifierError("token_malformed", "the token is too long");
      let verified = cache?.get(token, Math.floor(now() / 1000));
      if (!verified) {
        const context = await checkJwt(token);
        verified = { context, notDeniedAt: undefined };
        // Never cached past exp; the signature and claims of this exact string are what is cached.
        cache?.set(token, verified, context.expiresAt);
      }
      return authorization.loaded ? authorization.authorizeNow(verified) : authorization.authorize(verified);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (parts.ownsDenyList) await denyList?.close?.();
    },
  };
}
