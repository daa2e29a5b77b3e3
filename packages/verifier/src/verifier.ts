import { ACCESS_TOKEN_TYP, type AccessTokenClaims, SIGNING_ALGORITHMS, type SigningAlgorithm } from "@patgate/shared";
import { errors, type JWK, type JWTHeaderParameters, type JWTPayload, jwtVerify } from "jose";
import type { AuthContext } from "./auth-context.js";
import type { DenyList } from "./deny-list/deny-list.js";
import { createRedisDenyList, type RedisDenyListOptions } from "./deny-list/redis-deny-list.js";
import { VerifierError } from "./errors.js";
import { createLocalKeySource, createRemoteKeySource, type KeySource } from "./key-source.js";
import { errorText, resolveLogger, type VerifierLogger } from "./logger.js";
import { createTokenCache } from "./token-cache.js";

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /** The issuer URL, matched exactly against `iss`. Required. */
  readonly issuer: string;
  /** Accepted audience(s): the token's `aud` must contain one. Required. */
  readonly audience: string | readonly string[];
  /** The issuer's JWKS URL, e.g. `https://auth.example.com/.well-known/jwks.json`. Give this or `jwks`. */
  readonly jwksUri?: string | URL;
  /** A JWKS to verify against instead of fetching one. */
  readonly jwks?: { readonly keys: readonly JWK[] };
  /** Accepted algorithms; default all patgate signs with: EdDSA, ES256, RS256. `none` and HS* are refused. */
  readonly algorithms?: readonly SigningAlgorithm[];
  /** Seconds of clock skew tolerated on `exp`, `nbf`, `iat`; default 5. */
  readonly clockTolerance?: number;
  /** Roles every token must carry (`insufficient_role` otherwise); default none. */
  readonly requiredRoles?: readonly string[];
  /**
   * The deny-list consulted on every call: a {@link DenyList}, or
   * `{ redis: 'redis://…' | ioredisClient, keyPrefix? }` to follow the issuer's.
   * Default: none (revocation then only takes effect when JWTs expire).
   */
  readonly denyList?: DenyList | RedisDenyListOptions;
  /** Verified-token cache; default `{ max: 10_000 }`; `false` turns it off. */
  readonly cache?: false | { readonly max?: number };
  /** Timeout of a JWKS request; default 5000 ms. */
  readonly jwksTimeoutMs?: number;
  /** Least time between JWKS refetches caused by unknown `kid`s; default 30 000 ms. */
  readonly jwksCooldownMs?: number;
  /**
   * Where the verifier says, once, why its deny-list cannot start (ioredis not
   * installed, Redis refused or unreachable): any `{ warn(message) }`, such as
   * `console`, a pino logger or Fastify's `app.log`. Default `console`; `false`
   * for silence.
   */
  readonly logger?: VerifierLogger | false;
  /** Current time in epoch ms; default Date.now. For tests. */
  readonly now?: () => number;
}

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

/** A token whose signature and claims checked out, as the cache holds it. */
interface Verified {
  readonly context: AuthContext;
  /** The deny-list version at which it was last found not denied. */
  notDeniedAt: number | undefined;
}

/** Longest token accepted: real ones are well under 2 kB. */
const MAX_TOKEN_LENGTH = 8192;

function invalidOption(name: string, problem: string): VerifierError {
  return new VerifierError("invalid_options", `createVerifier: ${name} ${problem}`);
}

function isDenyList(value: unknown): value is DenyList {
  return typeof (value as DenyList | null)?.check === "function";
}

function checkOptions(options: VerifierOptions): void {
  if (typeof options !== "object" || options === null) throw invalidOption("options", "must be an object");
  if (typeof options.issuer !== "string" || options.issuer.length === 0) throw invalidOption("issuer", "is required");
  const audiences = typeof options.audience === "string" ? [options.audience] : options.audience;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((a) => typeof a === "string" && a.length > 0)
  ) {
    throw invalidOption("audience", "must be a non-empty string or array of strings");
  }
  if ((options.jwksUri === undefined) === (options.jwks === undefined))
    throw invalidOption("jwksUri / jwks", "exactly one is required");
  if (options.jwksUri !== undefined) {
    let url: URL;
    try {
      url = new URL(options.jwksUri);
    } catch {
      throw invalidOption("jwksUri", "must be a URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw invalidOption("jwksUri", "must be an http(s) URL");
  }
  if (options.jwks !== undefined && !Array.isArray(options.jwks?.keys))
    throw invalidOption("jwks", "must be a JWKS ({ keys: [...] })");
  if (options.algorithms !== undefined) {
    if (!Array.isArray(options.algorithms) || options.algorithms.length === 0)
      throw invalidOption("algorithms", "must be a non-empty array");
    for (const alg of options.algorithms as readonly string[]) {
      if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
        // `none` and symmetric algorithms would let a public key act as an HMAC secret.
        throw invalidOption(
          "algorithms",
          `may only contain ${SIGNING_ALGORITHMS.join(", ")}, got ${JSON.stringify(alg)}`,
        );
      }
    }
  }
  const tolerance = options.clockTolerance;
  if (
    tolerance !== undefined &&
    (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 300)
  ) {
    throw invalidOption("clockTolerance", "must be a number of seconds from 0 to 300");
  }
  if (
    options.requiredRoles !== undefined &&
    (!Array.isArray(options.requiredRoles) || !options.requiredRoles.every((r) => typeof r === "string"))
  ) {
    throw invalidOption("requiredRoles", "must be an array of strings");
  }
  if (options.cache !== undefined && options.cache !== false) {
    const max = options.cache.max;
    if (max !== undefined && (!Number.isInteger(max) || max < 1))
      throw invalidOption("cache.max", "must be a positive integer");
  }
  const logger = options.logger;
  if (logger !== undefined && logger !== false && typeof (logger as VerifierLogger | null)?.warn !== "function")
    throw invalidOption("logger", "must be an object with a warn(message) method, or false");
  const deny = options.denyList;
  if (deny !== undefined && !isDenyList(deny)) {
    const redis = (deny as RedisDenyListOptions).redis;
    if (typeof redis !== "string" && (typeof redis !== "object" || redis === null)) {
      throw invalidOption("denyList", "must be a DenyList or { redis: url | client, keyPrefix? }");
    }
  }
}

function claimOf<T>(payload: JWTPayload, name: string, test: (value: unknown) => value is T): T {
  const value = payload[name];
  if (!test(value)) throw new VerifierError("claim_invalid", `claim ${name} is missing or of the wrong type`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isRoles = (v: unknown): v is string[] => Array.isArray(v) && v.every((r) => typeof r === "string");

/** Maps what jose throws to our codes; anything unknown is a malformed token. */
function fromJose(error: unknown): VerifierError {
  if (error instanceof VerifierError) return error;
  if (error instanceof errors.JWTExpired) return new VerifierError("token_expired", "the token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return new VerifierError("invalid_issuer", "the token's issuer is not accepted");
    if (error.claim === "aud") return new VerifierError("invalid_audience", "the token's audience is not accepted");
    if (error.claim === "nbf") return new VerifierError("token_not_yet_valid", "the token is not valid yet");
    if (error.claim === "typ")
      return new VerifierError("invalid_typ", 'the token is not an access token (typ must be "at+jwt")');
    return new VerifierError("claim_invalid", `claim ${error.claim} is invalid`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new VerifierError("invalid_signature", "the token's signature is invalid");
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new VerifierError("algorithm_not_allowed", "the token's algorithm is not accepted");
  return new VerifierError("token_malformed", "the token is malformed", { cause: error });
}

/**
 * Builds a verifier for patgate JWTs. Options are checked now, so a bad one
 * fails at start-up, not on the hundredth request.
 *
 * @example
 * const verifier = createVerifier({
 *   issuer: "https://auth.example.com",
 *   audience: "patgate",
 *   jwksUri: "https://auth.example.com/.well-known/jwks.json",
 *   denyList: { redis: process.env.REDIS_URL },
 * });
 * const auth = await verifier.verify(token); // { sub, roles, tokenId, jti, ... }
 */
export function createVerifier(options: VerifierOptions): Verifier {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const audiences = typeof options.audience === "string" ? [options.audience] : [...options.audience];
  const algorithms = new Set<string>(options.algorithms ?? SIGNING_ALGORITHMS);
  const clockTolerance = options.clockTolerance ?? 5;
  const requiredRoles = [...(options.requiredRoles ?? [])];
  const keys: KeySource =
    options.jwks !== undefined
      ? createLocalKeySource(options.jwks)
      : createRemoteKeySource(new URL(options.jwksUri as string | URL), {
          ...(options.jwksTimeoutMs !== undefined ? { timeoutMs: options.jwksTimeoutMs } : {}),
          ...(options.jwksCooldownMs !== undefined ? { cooldownMs: options.jwksCooldownMs } : {}),
          now,
        });
  const cache = options.cache === false ? undefined : createTokenCache<Verified>(options.cache?.max ?? 10_000);

  const logger = resolveLogger(options.logger);
  const denyOption = options.denyList;
  let denyList: DenyList | undefined;
  let denyListReady: Promise<DenyList> | undefined;
  /** Why the Redis deny-list could not be built (ioredis missing...), for the error `verify` throws. */
  let denyListFailure: unknown;
  let ownsDenyList = false;
  if (isDenyList(denyOption)) denyList = denyOption;
  else if (denyOption !== undefined) {
    ownsDenyList = true;
    denyListReady = createRedisDenyList({ now, ...(logger ? { logger } : {}), ...denyOption }).then((list) => {
      denyList = list;
      return list;
    });
    denyListReady.catch((error: unknown) => {
      // Nothing awaits this promise at start-up: say it once here, or nobody learns why every verify fails.
      denyListFailure = error;
      logger?.warn(
        `@patgate/verifier: the deny-list could not start (${errorText(error)}); ` +
          "verify answers deny_list_unavailable (503)",
      );
    });
  }

  // Nothing to wait for without a deny-list, or with one given ready-made without a `ready` promise.
  let denyListLoaded = denyOption === undefined || (denyList !== undefined && denyList.ready === undefined);
  /** The deny-list, once its first snapshot is in; waits for that (briefly) only on the first calls. */
  async function loadedDenyList(): Promise<DenyList | undefined> {
    if (denyListLoaded || (!denyList && !denyListReady)) return denyList;
    const list = denyList ?? (await denyListReady?.catch(() => undefined));
    if (!list) {
      throw new VerifierError("deny_list_unavailable", "the deny-list could not be started", {
        cause: denyListFailure,
      });
    }
    if (list.ready) {
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref());
      const loaded = await Promise.race([list.ready.then(() => true), timeout]).catch(() => false);
      if (!loaded) throw new VerifierError("deny_list_unavailable", "the deny-list has not loaded");
    }
    denyListLoaded = true;
    return list;
  }

  /** Checks made on every call, cache hit or not: revocation and roles. */
  async function authorize(verified: Verified): Promise<AuthContext> {
    return authorizeWith(verified, denyListLoaded ? denyList : await loadedDenyList());
  }

  function authorizeWith(verified: Verified, list: DenyList | undefined): AuthContext {
    const { context } = verified;
    if (list) {
      if (list.available && !list.available(now())) {
        throw new VerifierError(
          "deny_list_unavailable",
          "the deny-list is out of date (its source is unreachable); failing closed",
        );
      }
      // Not denied at this version means not denied until the version moves (see DenyList.version).
      const version = list.version;
      if (version === undefined || version !== verified.notDeniedAt) {
        const denial = list.check(
          {
            jti: context.jti,
            sub: context.sub,
            client_id: context.tokenId,
            client_rev: context.claims.client_rev,
            sub_rev: context.claims.sub_rev,
          },
          Math.floor(now() / 1000),
        );
        if (denial) throw new VerifierError("token_denied", "the token has been revoked");
        verified.notDeniedAt = version;
      }
    }
    const missing = requiredRoles.filter((role) => !context.roles.includes(role));
    if (missing.length > 0)
      throw new VerifierError("insufficient_role", `missing role(s): ${missing.join(" ")}`, { missingRoles: missing });
    return context;
  }

  const verifyOptions = {
    issuer: options.issuer,
    audience: audiences,
    algorithms: [...algorithms],
    // jose compares typ case-insensitively and without "application/", so "application/at+jwt" passes too.
    typ: ACCESS_TOKEN_TYP,
    clockTolerance,
    requiredClaims: ["iss", "sub", "aud", "exp", "iat", "jti"],
  };
  // The key comes only from the configured JWKS, by kid: jku, x5u and an embedded jwk are ignored.
  // jose checks alg against the allow-list before it asks for a key.
  const resolveKey = (header: JWTHeaderParameters) =>
    keys.keyFor({ alg: header.alg, ...(typeof header.kid === "string" ? { kid: header.kid } : {}) });

  async function verifyFresh(token: string): Promise<AuthContext> {
    let payload: JWTPayload;
    try {
      // jose reads the clock itself unless a test clock was given.
      const checks = options.now ? { ...verifyOptions, currentDate: new Date(now()) } : verifyOptions;
      ({ payload } = await jwtVerify(token, resolveKey, checks));
    } catch (error) {
      throw fromJose(error);
    }
    const claims = payload as AccessTokenClaims & JWTPayload;
    const context: AuthContext = {
      sub: claimOf(payload, "sub", isString),
      roles: claimOf(payload, "roles", isRoles),
      tokenId: claimOf(payload, "client_id", isString),
      jti: claimOf(payload, "jti", isString),
      scope: typeof payload.scope === "string" ? payload.scope : claimOf(payload, "roles", isRoles).join(" "),
      expiresAt: claimOf(payload, "exp", isNumber),
      claims: { ...claims, iat: claimOf(payload, "iat", isNumber) },
    };
    return context;
  }

  let closed = false;
  return {
    verifyCached(token) {
      // Only what can be decided now: a cached token with the deny-list loaded.
      if (!cache || !denyListLoaded || typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return undefined;
      const verified = cache.get(token, Math.floor(now() / 1000));
      return verified && authorizeWith(verified, denyList);
    },
    async verify(token) {
      if (typeof token !== "string" || token.length === 0) throw new VerifierError("token_missing", "no token");
      // The shape is jose's to check, on a cache miss; a cache hit is a string already verified.
      if (token.length > MAX_TOKEN_LENGTH) throw new VerifierError("token_malformed", "the token is too long");
      const nowSeconds = Math.floor(now() / 1000);
      let verified = cache?.get(token, nowSeconds);
      if (!verified) {
        const context = await verifyFresh(token);
        verified = { context, notDeniedAt: undefined };
        // Never cached past exp; the signature and claims of this exact string are what is cached.
        cache?.set(token, verified, context.expiresAt);
      }
      return authorize(verified);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (ownsDenyList) await (denyList ?? (await denyListReady?.catch(() => undefined)))?.close?.();
    },
  };
}
