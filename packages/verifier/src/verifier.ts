import type { AuthContext } from "./auth-context.js";
import { createAuthorization, type Verified } from "./authorization.js";
import type { DenyList } from "./deny-list/deny-list.js";
import type { DpopPolicy } from "./dpop/dpop-policy.js";
import { readCredentials, type VerifiableRequest } from "./dpop/http-request.js";
import { bearerRefusal, type ProofCheck, withDpopChallenge } from "./dpop/request-check.js";
import { VerifierError } from "./errors.js";
import type { StatusListCheck } from "./status-list/status-list-check.js";
import { createTokenCache } from "./token-cache.js";

/** A verifier built by {@link createVerifier}. */
export interface Verifier {
  /**
   * Verifies a JWT sent as a bearer token; resolves to who is calling or
   * throws a {@link VerifierError}. A JWT bound to a key (`cnf.jkt`) is
   * refused (`dpop_required`: it needs a proof, see `verifyRequest`), unless
   * `acceptBound` says the caller only asks what the token is, as an
   * introspection endpoint does, and authorises nothing with it.
   */
  verify(token: string, options?: { readonly acceptBound?: boolean }): Promise<AuthContext>;
  /**
   * The synchronous fast path of `verify`, for adapters: a token verified
   * before and still cached gets every per-call check (expiry, deny-list,
   * roles) and its AuthContext now, or the same error `verify` would throw.
   * Undefined means it cannot be decided synchronously: call `verify`.
   */
  verifyCached(token: string): AuthContext | undefined;
  /**
   * Verifies a whole request: `Authorization: Bearer <jwt>`, or `DPoP <jwt>`
   * with a `DPoP` proof for this very request (RFC 9449). For code without an
   * adapter; the Fastify and Express adapters call it for DPoP requests.
   */
  verifyRequest(request: VerifiableRequest): Promise<AuthContext>;
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
  /** Which JWTs need a proof (bound ones always). */
  readonly dpop: DpopPolicy;
  /** Checks the DPoP proof of a request (see `dpop/request-check.ts`). */
  readonly checkProof: ProofCheck;
  /** The Token Status List check (`statusList` option), beside the deny-list. */
  readonly statusList?: StatusListCheck;
  /** Closes the Redis connection of a shared proof replay check, if the verifier made one. */
  readonly closeReplay?: () => Promise<void>;
}

/** Longest token accepted: real ones are well under 2 kB. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * The verifier itself: a cache of verified tokens in front of the JWT check,
 * and the checks made on every call behind it. It takes a ready DenyList and
 * knows nothing of where it comes from.
 */
export function buildVerifier(parts: VerifierParts): Verifier {
  const { checkJwt, denyList, now, dpop, checkProof } = parts;
  const cache = parts.cacheSize === false ? undefined : createTokenCache<Verified>(parts.cacheSize);
  const authorization = createAuthorization({ denyList, requiredRoles: parts.requiredRoles, now });
  let closed = false;

  /** The token's verified signature and claims: from the cache, or checked now and cached. */
  async function verified(token: string, missed = false): Promise<Verified> {
    if (typeof token !== "string" || token.length === 0) throw missing();
    // The shape is jose's to check, on a cache miss; a cache hit is a string already verified.
    if (token.length > MAX_TOKEN_LENGTH) throw new VerifierError("token_malformed", "the token is too long");
    // `missed`: the caller has just looked it up (verify's fast path); no second lookup.
    let entry = missed ? undefined : cache?.get(token, Math.floor(now() / 1000));
    if (!entry) {
      const context = await checkJwt(token);
      entry = { context, notDeniedAt: undefined };
      // Never cached past exp; the signature and claims of this exact string are what is cached.
      cache?.set(token, entry, context.expiresAt);
    }
    return entry;
  }
  const authorizeClaims = (entry: Verified) =>
    authorization.loaded ? authorization.authorizeNow(entry) : authorization.authorize(entry);
  const { statusList } = parts;
  // The status list is asked first: a revocation counts as soon as either source has it.
  const authorize = !statusList
    ? authorizeClaims
    : async (entry: Verified) => {
        if (!statusList.checkNow(entry.context)) await statusList.check(entry.context);
        return authorizeClaims(entry);
      };
  const missing = () => new VerifierError("token_missing", "no token", dpop.required ? { scheme: "DPoP" } : undefined);

  /** What `verify` does once the token's signature and claims are known. */
  function authorizeBearer(entry: Verified, options?: { readonly acceptBound?: boolean }) {
    const refusal = options?.acceptBound === true ? undefined : bearerRefusal(entry.context, dpop);
    if (refusal) throw refusal;
    return authorize(entry);
  }

  async function verifyUncached(
    token: string,
    options: { readonly acceptBound?: boolean } | undefined,
    missed: boolean,
  ): Promise<AuthContext> {
    return authorizeBearer(await verified(token, missed), options);
  }

  /**
   * A cached token is answered without an async function or an await of its
   * own (a reused token's whole cost is the cache lookup and the per-call
   * checks); anything else goes the full way. Never throws: errors reject.
   */
  function verify(token: string, options?: { readonly acceptBound?: boolean }): Promise<AuthContext> {
    const lookup = cache !== undefined && typeof token === "string" && token.length <= MAX_TOKEN_LENGTH;
    const entry = lookup ? cache.get(token, Math.floor(now() / 1000)) : undefined;
    if (!entry) return verifyUncached(token, options, lookup);
    try {
      return Promise.resolve(authorizeBearer(entry, options));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return {
    verifyCached(token) {
      // Only what can be decided now: a cached token with the deny-list loaded.
      if (!cache || !authorization.loaded || typeof token !== "string" || token.length > MAX_TOKEN_LENGTH)
        return undefined;
      const entry = cache.get(token, Math.floor(now() / 1000));
      if (!entry) return undefined;
      const refusal = bearerRefusal(entry.context, dpop);
      if (refusal) throw refusal;
      if (parts.statusList && !parts.statusList.checkNow(entry.context)) return undefined;
      return authorization.authorizeNow(entry);
    },
    verify,
    async verifyRequest(request) {
      let credentials: ReturnType<typeof readCredentials>;
      try {
        credentials = readCredentials(request.headers);
      } catch (error) {
        throw dpop.required ? withDpopChallenge(error) : error;
      }
      if (credentials === undefined) throw missing();
      if (credentials.scheme === "Bearer") return verify(credentials.token);
      try {
        const entry = await verified(credentials.token);
        // The proof's signature is the only new crypto: a reused JWT came from the cache above.
        await checkProof(request, credentials.token, entry.context);
        return await authorize(entry);
      } catch (error) {
        throw withDpopChallenge(error);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (parts.ownsDenyList) await denyList?.close?.();
      await parts.closeReplay?.();
    },
  };
}
