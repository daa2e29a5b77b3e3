import { type DpopOption, dpopOptionProblem } from "./dpop-key.js";
import { createDpopSigner, type DpopSigner } from "./dpop-signer.js";

/** Options of {@link createTokenClient}. */
export interface TokenClientOptions {
  /** Base URL of the issuer, e.g. `https://auth.example.com`; the client POSTs to `<issuer>/token`. */
  readonly issuer: string;
  /** The personal access token to exchange. */
  readonly pat: string;
  /** Roles to ask for (down-scoping), as one space-separated string or a list. Default: all the PAT's roles. */
  readonly scope?: string | readonly string[];
  /**
   * The `audience` to ask for. Default: the issuer's first service audience.
   * For the issuer's admin API ask for its admin audience, and leave `scope` out.
   *
   * @example audience: "patgate-admin"
   */
  readonly audience?: string;
  /**
   * Proof of possession (DPoP, RFC 9449): `true` makes a non-extractable key
   * pair for this client; or give a key pair (see `importDpopKey` for a JWK
   * file). Every exchange then sends a proof, the JWTs are bound to the key,
   * and resource calls go through `client.fetch()`, which signs one proof each.
   */
  readonly dpop?: DpopOption;
  /** Refresh this long before the JWT expires, capped at half its lifetime. Default 30. */
  readonly refreshBeforeSeconds?: number;
  /** Retries of a 429, a 503 or a network error before giving up. Default 3. */
  readonly maxRetries?: number;
  /** Longest single wait between two tries, whatever `Retry-After` asks. Default 30 000. */
  readonly maxRetryDelayMs?: number;
  /** Timeout of one request to the issuer (a timeout is retried like a network error). Default 10 000. */
  readonly timeoutMs?: number;
  /** The fetch to use (tests, a custom agent). Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** The clock, in epoch ms (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** The options checked once, with defaults applied and the request body built. */
export interface ResolvedOptions {
  readonly tokenUrl: string;
  /** The form body of the exchange. Holds the PAT: never put it in an error. */
  readonly form: string;
  /** Kept only to redact it from what the issuer echoes back. */
  readonly pat: string;
  readonly refreshBeforeMs: number;
  readonly maxRetries: number;
  readonly maxRetryDelayMs: number;
  readonly timeoutMs: number;
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly now: () => number;
  /** Signs the DPoP proofs, when the `dpop` option is set. */
  readonly dpop?: DpopSigner;
}

const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** Checks every option and throws a one-line TypeError on the first bad one (never echoing the PAT). */
export function resolveOptions(options: TokenClientOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) fail("options are required");
  const { pat, scope, audience } = options;
  if (typeof pat !== "string" || pat.trim() === "") fail("pat is required (a non-empty string)");
  if (audience !== undefined && (typeof audience !== "string" || audience === "")) {
    fail("audience must be a non-empty string");
  }
  if (options.fetch !== undefined && typeof options.fetch !== "function") fail("fetch must be a function");
  if (options.now !== undefined && typeof options.now !== "function") fail("now must be a function");
  const dpopProblem = dpopOptionProblem(options.dpop);
  if (dpopProblem !== undefined) fail(dpopProblem);

  const form = new URLSearchParams({
    grant_type: GRANT_TYPE,
    subject_token: pat,
    subject_token_type: ACCESS_TOKEN_TYPE,
  });
  const roles = scopeList(scope);
  if (roles.length > 0) form.set("scope", roles.join(" "));
  if (audience !== undefined) form.set("audience", audience);

  const customFetch = options.fetch;
  return {
    tokenUrl: tokenUrl(options.issuer),
    form: form.toString(),
    pat,
    refreshBeforeMs: number("refreshBeforeSeconds", options.refreshBeforeSeconds, 30) * 1000,
    maxRetries: number("maxRetries", options.maxRetries, 3, true),
    maxRetryDelayMs: number("maxRetryDelayMs", options.maxRetryDelayMs, 30_000),
    timeoutMs: number("timeoutMs", options.timeoutMs, 10_000),
    // A wrapper, so a global fetch patched after creation (e.g. by a test library) is still used.
    fetch: (url, init) => (customFetch ?? fetch)(url, init),
    now: options.now ?? Date.now,
    ...(options.dpop === undefined ? {} : { dpop: createDpopSigner(options.dpop) }),
  };
}

function fail(reason: string): never {
  throw new TypeError(`createTokenClient: ${reason}`);
}

/** `<issuer>/token`, whether or not the issuer ends with a slash. */
function tokenUrl(issuer: unknown): string {
  // The value is not echoed: it could be a PAT passed in the wrong field.
  const url = typeof issuer === "string" && URL.canParse(issuer) ? new URL(issuer) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    fail("issuer must be an http:// or https:// URL");
  }
  if (url.username !== "" || url.password !== "") fail("issuer must not contain credentials");
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/token`;
  return url.href;
}

/** The roles to ask for; a string is split on whitespace, as `scope` is on the wire. */
function scopeList(scope: unknown): string[] {
  if (scope === undefined) return [];
  if (typeof scope === "string") return scope.split(/\s+/).filter((role) => role !== "");
  if (Array.isArray(scope) && scope.every((role) => typeof role === "string" && /^\S+$/.test(role))) {
    return scope;
  }
  return fail("scope must be a string or a list of non-empty strings without spaces");
}

/** A non-negative finite number (an integer if asked), or the default when absent. */
function number(name: string, value: unknown, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
    fail(`${name} must be a non-negative ${integer ? "integer" : "number"}`);
  }
  return value;
}
