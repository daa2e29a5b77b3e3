import { SIGNING_ALGORITHMS, type SigningAlgorithm } from "@patgate/shared";
import { type DenyListOption, isDenyListOption } from "./deny-list/deny-list-option.js";
import { type DpopOption, dpopOptionProblem } from "./dpop/dpop-options.js";
import { type Jwks, jwksProblem } from "./jwks.js";
import type { VerifierLogger } from "./logger.js";
import { type StatusListOption, statusListOptionProblem } from "./status-list/status-list-option.js";

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /** The issuer URL, matched exactly against `iss`. Required. */
  readonly issuer: string;
  /** Accepted audience(s): the token's `aud` must contain one. Required. */
  readonly audience: string | readonly string[];
  /** The issuer's JWKS URL, e.g. `https://auth.example.com/.well-known/jwks.json`. Give this or `jwks`. */
  readonly jwksUri?: string | URL;
  /**
   * A JWKS to verify against instead of fetching one; or a function returning
   * the current JWKS, asked on every key lookup, for keys held in memory that
   * rotate (each JWK object is imported once: return the same objects while
   * the keys stay the same).
   *
   * @example jwks: () => signingKeys.publicJwks(Math.floor(Date.now() / 1000))
   */
  readonly jwks?: Jwks | (() => Jwks);
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
  readonly denyList?: DenyListOption;
  /**
   * Follow the issuer's Token Status List over HTTPS (no Redis): each JWT's
   * `status` list is fetched on first need and again after its `ttl`; past
   * `maxStalenessSeconds` (default 300) without a good copy, tokens fail closed
   * (`status_list_unavailable`). Alone or beside `denyList`.
   */
  readonly statusList?: StatusListOption;
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
  /**
   * Proof of possession (RFC 9449). A JWT bound to a key (`cnf.jkt`) is always
   * accepted only as `Authorization: DPoP <jwt>` with a proof for the request;
   * `"required"` (or `{ required: true }`) refuses unbound JWTs too.
   * `{ maxAge }`: seconds a proof's `iat` may be from now, default 60.
   * `{ replay: "redis" }`: proofs' `jti` shared by every replica through the deny-list's Redis.
   */
  readonly dpop?: DpopOption;
  /**
   * The public origin (and path prefix) clients call behind a proxy, e.g.
   * `https://api.example.com`: a proof's `htu` is compared with it plus the
   * request's path. Default: the URL the request arrived with.
   */
  readonly publicUrl?: string | URL;
  /** Current time in epoch ms; default Date.now. For tests. */
  readonly now?: () => number;
}

/** Misuse, as `@patgate/client` reports it: a TypeError naming the option, never a VerifierError. */
function invalidOption(name: string, problem: string): TypeError {
  return new TypeError(`createVerifier: ${name} ${problem}`);
}

function checkIdentity(options: VerifierOptions): void {
  if (typeof options.issuer !== "string" || options.issuer.length === 0) throw invalidOption("issuer", "is required");
  const audiences = typeof options.audience === "string" ? [options.audience] : options.audience;
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((a) => typeof a === "string" && a.length > 0)
  ) {
    throw invalidOption("audience", "must be a non-empty string or array of strings");
  }
}

function checkKeys(options: VerifierOptions): void {
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
  const { jwks } = options;
  if (jwks !== undefined && typeof jwks !== "function") {
    const problem = jwksProblem(jwks);
    if (problem) throw invalidOption("jwks", `${problem} (give a JWKS of public keys, or a function returning one)`);
  }
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
}

function checkPolicy(options: VerifierOptions): void {
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
}

function checkDpop(options: VerifierOptions): void {
  if (options.dpop !== undefined) {
    const problem = dpopOptionProblem(options.dpop);
    if (problem) throw invalidOption("dpop", problem);
    const redisDenyList = isDenyListOption(options.denyList) && "redis" in options.denyList;
    if (typeof options.dpop === "object" && options.dpop.replay === "redis" && !redisDenyList)
      throw invalidOption("dpop", 'replay "redis" needs denyList: { redis } (the Redis the proofs are shared through)');
  }
  if (options.publicUrl === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(options.publicUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.search !== "" || url.hash !== "")
    throw invalidOption("publicUrl", "must be an http(s) URL without query or fragment");
}

function checkCollaborators(options: VerifierOptions): void {
  const logger = options.logger;
  if (logger !== undefined && logger !== false && typeof (logger as VerifierLogger | null)?.warn !== "function")
    throw invalidOption("logger", "must be an object with a warn(message) method, or false");
  if (options.statusList !== undefined) {
    const problem = statusListOptionProblem(options.statusList);
    if (problem) throw invalidOption("statusList", problem);
  }
  if (options.denyList !== undefined && !isDenyListOption(options.denyList))
    throw invalidOption("denyList", "must be a DenyList or { redis: url | client, keyPrefix? }");
}

/**
 * Throws a TypeError naming the first bad option, so a verifier built
 * wrong fails at start-up, not on the hundredth request.
 */
export function checkOptions(options: VerifierOptions): void {
  if (typeof options !== "object" || options === null) throw invalidOption("options", "must be an object");
  checkIdentity(options);
  checkKeys(options);
  checkPolicy(options);
  checkCollaborators(options);
  checkDpop(options);
}
