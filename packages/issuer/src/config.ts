import { isAbsolute, resolve } from "node:path";
import {
  assertTokenPrefix,
  DEFAULT_ADMIN_AUDIENCE,
  DEFAULT_AUDIENCE,
  DEFAULT_REDIS_PREFIX,
  DEFAULT_TOKEN_PREFIX,
  redisKeys,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from "@patgate/shared";
import { type ConsoleConfig, consoleConfig } from "./console/console-config.js";
import { ConfigError, durationSeconds, type Env, fail, flag, httpUrl, integer, lifetime } from "./env-values.js";
import { isTrustedProxyEntry } from "./http/trusted-proxy.js";
import { GITHUB_SECRET_SCANNING_KEYS_URL } from "./leaks/github-keys.js";
import { defaultScryptConcurrency } from "./tokens/scrypt-budget.js";
import { parseWebhookSecret, WEBHOOK_SECRET_PREFIX } from "./webhooks/signature.js";

export { ConfigError } from "./env-values.js";

/** Everything the issuer reads from its environment, parsed once at start-up. */
export interface IssuerConfig {
  readonly port: number;
  readonly host: string;
  /** The `iss` claim and the metadata's issuer URL. */
  readonly issuer: string;
  /** Allowed audiences; the first is the default `aud`. */
  readonly audiences: readonly [string, ...string[]];
  /**
   * The audience of JWTs the admin API accepts (`PATGATE_ADMIN_AUDIENCE`):
   * minted only for admin PATs, never one of `audiences`. Default `patgate-admin`.
   */
  readonly adminAudience: string;
  /** JWT lifetime in seconds. */
  readonly jwtTtlSeconds: number;
  /** DynamoDB endpoint; undefined means AWS (when configured) or the embedded store. */
  readonly dynamoEndpoint?: string;
  readonly awsRegion?: string;
  /**
   * True when `AWS_ACCESS_KEY_ID` is set: a DynamoDB endpoint then gets the AWS
   * SDK's default credentials; without, the dummy ones a local emulator accepts.
   */
  readonly awsCredentialsInEnv: boolean;
  /** True when no DynamoDB is configured: dynalite on disk under `dataDir`. */
  readonly embedded: boolean;
  readonly tableName: string;
  /** Redis for the queue, deny-list and rate limits; undefined means the in-process bus. */
  readonly redisUrl?: string;
  /** Prefix of every Redis key. */
  readonly redisPrefix: string;
  /** Absolute path of the data dir (embedded store, generated keys). */
  readonly dataDir: string;
  /** Path of a private JWKS file; undefined means keys generated in `dataDir`. */
  readonly signingKeysPath?: string;
  readonly signingAlgorithm: SigningAlgorithm;
  readonly tokenPrefix: string;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Seconds a verified PAT is served from memory without scrypt. */
  readonly patCacheTtlSeconds: number;
  /**
   * Proxies whose `X-Forwarded-For` is believed (`PATGATE_TRUST_PROXY`):
   * addresses, CIDRs, or `loopback` / `linklocal` / `uniquelocal`. Empty (the
   * default): the client address is the socket's, and `X-Forwarded-For` is ignored.
   */
  readonly trustProxy: readonly string[];
  /**
   * How long a client may take, so a slow one cannot hold a connection for
   * ever. Defaults: headers 10 s, whole request 30 s, idle keep-alive 72 s.
   */
  readonly httpTimeouts: HttpTimeouts;
  /** Requests per minute per client IP on /token and /revoke. */
  readonly rateLimitPerMinute: number;
  /**
   * Failed exchanges per minute of one token id from one client address before
   * that token id is locked out for that address until the minute ends. Default 10.
   */
  readonly failuresPerTokenPerMinute: number;
  /** Failed exchanges per minute from one client address (an IPv6 /64), whatever the token ids. Default 100. */
  readonly failuresPerAddressPerMinute: number;
  /** Run the revocation worker inside the issuer (Redis mode); false when `patgate worker` runs apart. */
  readonly embeddedWorker: boolean;
  /** Where GitHub's secret-scanning public keys are fetched (`POST /leaks/github`). */
  readonly githubKeysUrl: string;
  /** The longest PAT lifetime, seconds; undefined (`none`) lets PATs never expire. */
  readonly maxTokenLifetimeSeconds?: number;
  /** scrypt verifications running at once (`PATGATE_SCRYPT_CONCURRENCY`). */
  readonly scryptConcurrency: number;
  /** Longest expected wait for scrypt before an exchange is shed with a 503, ms (`PATGATE_SCRYPT_MAX_WAIT`). */
  readonly scryptMaxWaitMs: number;
  /** Exchanges per minute per client address that the PAT cache cannot serve (`PATGATE_COLD_EXCHANGES_PER_MINUTE`). */
  readonly coldExchangesPerMinute: number;
  /** JWTs one PAT may revoke per minute at `POST /revoke` (`PATGATE_JWT_REVOCATIONS_PER_MINUTE`). */
  readonly jwtRevocationsPerMinute: number;
  /** Where token lifecycle events are POSTed, signed per Standard Webhooks; undefined: no webhooks. */
  readonly webhook?: WebhookConfig;
  /** Revoke PATs unused (since `lastUsedAt`, or `createdAt`) for this many seconds; undefined: never. */
  readonly revokeUnusedAfterSeconds?: number;
  /** The web console: its identity provider (`PATGATE_OIDC_*`) and session key (`PATGATE_SESSION_SECRET`). */
  readonly console: ConsoleConfig;
}

/** The HTTP server's bounds on slow clients, in milliseconds. */
export interface HttpTimeouts {
  /** From a request's first byte to the end of its headers (`PATGATE_HEADERS_TIMEOUT`, seconds; default 10). */
  readonly headersMs: number;
  /**
   * From a request's first byte to the end of its body, and the longest a
   * connection may stay silent while a request is open (`PATGATE_REQUEST_TIMEOUT`,
   * seconds; default 30).
   */
  readonly requestMs: number;
  /**
   * How long an idle keep-alive connection stays open (`PATGATE_KEEP_ALIVE_TIMEOUT`,
   * seconds; default 72): longer than a load balancer's idle timeout (60 s on
   * AWS ALB, GCP 600 s: raise it there), so the balancer never sends a request
   * on a connection the issuer is closing.
   */
  readonly keepAliveMs: number;
}

/** `PATGATE_WEBHOOK_URL` and `PATGATE_WEBHOOK_SECRET`, always set together. */
export interface WebhookConfig {
  /** An http(s) URL. */
  readonly url: string;
  /** `whsec_` and the base64 of 24 to 64 random bytes (the Standard Webhooks format). */
  readonly secret: string;
}

function trustedProxies(env: Env): string[] {
  const raw = env.PATGATE_TRUST_PROXY?.trim();
  if (!raw) return [];
  const entries = raw.split(",").map((entry) => entry.trim());
  const bad = entries.find((entry) => !isTrustedProxyEntry(entry));
  if (bad !== undefined) {
    fail("PATGATE_TRUST_PROXY", "must be a comma list of IP addresses, CIDRs, loopback, linklocal or uniquelocal", bad);
  }
  return entries;
}

/** A URL for an error message, without any user:password it carries. */
function withoutCredentials(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, "//***@");
}

/**
 * The webhook pair: both or neither. The secret is never echoed in an error,
 * not even in part.
 */
function webhookConfig(env: Env): WebhookConfig | undefined {
  const url = env.PATGATE_WEBHOOK_URL?.trim() || undefined;
  const secret = env.PATGATE_WEBHOOK_SECRET?.trim() || undefined;
  if (url === undefined && secret === undefined) return undefined;
  if (url === undefined) throw new ConfigError("PATGATE_WEBHOOK_URL must be set when PATGATE_WEBHOOK_SECRET is");
  if (secret === undefined) throw new ConfigError("PATGATE_WEBHOOK_SECRET must be set when PATGATE_WEBHOOK_URL is");
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:"))
    fail("PATGATE_WEBHOOK_URL", "must be an http(s) URL", withoutCredentials(url));
  if (!parseWebhookSecret(secret)) {
    const problem = secret.startsWith(WEBHOOK_SECRET_PREFIX)
      ? "got a value whose base64 part is malformed or of another length"
      : `got a value without the ${WEBHOOK_SECRET_PREFIX} prefix`;
    throw new ConfigError(
      `PATGATE_WEBHOOK_SECRET must be ${WEBHOOK_SECRET_PREFIX} followed by the base64 of 24 to 64 random bytes; ${problem}`,
    );
  }
  return { url, secret };
}

/**
 * `PATGATE_REVOKE_UNUSED_AFTER`: a number and a unit (`h`, `d`, `w`, `y`), at
 * least a day and at most ten years. A unit is required: a bare `90` meaning
 * 90 seconds would revoke nearly every token.
 */
function unusedAfter(env: Env): number | undefined {
  const raw = env.PATGATE_REVOKE_UNUSED_AFTER?.trim();
  if (!raw) return undefined;
  const seconds = durationSeconds(raw, "hdwy");
  if (seconds < 86_400 || seconds > 10 * 365 * 86_400)
    fail("PATGATE_REVOKE_UNUSED_AFTER", "must be a duration from 1d to 10y, like 90d, 12w or 1y", raw);
  return seconds;
}

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/**
 * Parses the issuer's configuration from environment variables (the root
 * README's "Configuration" table). Throws {@link ConfigError} on the first bad value.
 *
 * @example loadConfig(process.env).issuer // "http://127.0.0.1:8080"
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): IssuerConfig {
  const port = integer(env, "PORT", 8080, 0, 65535);
  const host = env.HOST?.trim() || "127.0.0.1";
  if (/[\s/]/.test(host)) fail("HOST", "must be a host name or IP address", host);

  const defaultIssuer = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const issuer = env.PATGATE_ISSUER ? httpUrl("PATGATE_ISSUER", env.PATGATE_ISSUER) : defaultIssuer;

  const audienceText = env.PATGATE_AUDIENCE ?? DEFAULT_AUDIENCE;
  const audiences = audienceText.split(",").map((a) => a.trim());
  if (audiences.some((a) => a.length === 0 || /\s/.test(a) || a.length > 256)) {
    fail("PATGATE_AUDIENCE", "must be a comma-separated list of non-empty audiences", audienceText);
  }

  // Kept apart from the service audiences: a JWT a service accepts must never be an admin credential.
  const adminAudience = env.PATGATE_ADMIN_AUDIENCE?.trim() || DEFAULT_ADMIN_AUDIENCE;
  if (/\s|,/.test(adminAudience) || adminAudience.length > 256)
    fail("PATGATE_ADMIN_AUDIENCE", "must be one audience (no spaces or commas, at most 256 characters)", adminAudience);
  if (audiences.includes(adminAudience))
    fail("PATGATE_ADMIN_AUDIENCE", `must not be one of PATGATE_AUDIENCE (${audiences.join(",")})`, adminAudience);

  const jwtTtlSeconds = integer(env, "PATGATE_JWT_TTL", 300, 30, 86_400, " number of seconds");

  const dynamoEndpoint = env.DYNAMODB_ENDPOINT ? httpUrl("DYNAMODB_ENDPOINT", env.DYNAMODB_ENDPOINT) : undefined;
  const awsRegion = env.AWS_REGION?.trim() || undefined;
  if (awsRegion !== undefined && !/^[a-z0-9-]{2,32}$/.test(awsRegion))
    fail("AWS_REGION", "must be an AWS region name", awsRegion);
  const awsConfigured = Boolean(awsRegion || env.AWS_PROFILE || env.AWS_ACCESS_KEY_ID);
  const embedded = dynamoEndpoint === undefined && !awsConfigured;

  const tableName = env.PATGATE_TABLE?.trim() || "patgate-tokens";
  if (!/^[A-Za-z0-9_.-]{3,200}$/.test(tableName)) {
    fail("PATGATE_TABLE", "must be 3-200 characters of letters, digits, '_', '-' or '.'", tableName);
  }

  let redisUrl: string | undefined;
  if (env.REDIS_URL) {
    try {
      const url = new URL(env.REDIS_URL);
      if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new Error();
      redisUrl = env.REDIS_URL;
    } catch {
      fail("REDIS_URL", "must be a redis:// or rediss:// URL", env.REDIS_URL.replace(/\/\/[^@]*@/, "//***@"));
    }
  }
  const redisPrefix = env.PATGATE_REDIS_PREFIX?.trim() || DEFAULT_REDIS_PREFIX;
  try {
    redisKeys(redisPrefix);
  } catch {
    fail("PATGATE_REDIS_PREFIX", "must be 1-64 of [A-Za-z0-9_.:-]", redisPrefix);
  }

  const dataDirText = env.PATGATE_DATA_DIR?.trim() || ".patgate";
  const dataDir = isAbsolute(dataDirText) ? dataDirText : resolve(cwd, dataDirText);
  const signingKeysPath = env.PATGATE_SIGNING_KEYS?.trim() ? resolve(cwd, env.PATGATE_SIGNING_KEYS.trim()) : undefined;

  const algText = env.PATGATE_SIGNING_ALG?.trim() || "EdDSA";
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(algText)) {
    fail("PATGATE_SIGNING_ALG", `must be one of ${SIGNING_ALGORITHMS.join(", ")}`, algText);
  }

  const tokenPrefix = env.PATGATE_TOKEN_PREFIX ?? DEFAULT_TOKEN_PREFIX;
  try {
    assertTokenPrefix(tokenPrefix);
  } catch {
    fail("PATGATE_TOKEN_PREFIX", "must be a letter, up to 15 letters or digits, then '_'", tokenPrefix);
  }

  const headersSeconds = integer(env, "PATGATE_HEADERS_TIMEOUT", 10, 1, 600, " number of seconds");
  const requestSeconds = integer(env, "PATGATE_REQUEST_TIMEOUT", 30, 1, 3600, " number of seconds");
  if (headersSeconds > requestSeconds) {
    fail(
      "PATGATE_HEADERS_TIMEOUT",
      `must not exceed PATGATE_REQUEST_TIMEOUT (${requestSeconds})`,
      String(headersSeconds),
    );
  }
  const keepAliveSeconds = integer(env, "PATGATE_KEEP_ALIVE_TIMEOUT", 72, 1, 3600, " number of seconds");
  const webhook = webhookConfig(env);
  const revokeUnusedAfterSeconds = unusedAfter(env);

  const logLevel = env.PATGATE_LOG_LEVEL?.trim() || "info";
  if (!LOG_LEVELS.has(logLevel)) fail("PATGATE_LOG_LEVEL", `must be one of ${[...LOG_LEVELS].join(", ")}`, logLevel);

  return {
    port,
    host,
    issuer,
    audiences: audiences as [string, ...string[]],
    adminAudience,
    jwtTtlSeconds,
    ...(dynamoEndpoint === undefined ? {} : { dynamoEndpoint }),
    ...(awsRegion === undefined ? {} : { awsRegion }),
    awsCredentialsInEnv: Boolean(env.AWS_ACCESS_KEY_ID),
    embedded,
    tableName,
    ...(redisUrl === undefined ? {} : { redisUrl }),
    redisPrefix,
    dataDir,
    ...(signingKeysPath === undefined ? {} : { signingKeysPath }),
    signingAlgorithm: algText as SigningAlgorithm,
    tokenPrefix,
    logLevel: logLevel as IssuerConfig["logLevel"],
    trustProxy: trustedProxies(env),
    httpTimeouts: {
      headersMs: headersSeconds * 1000,
      requestMs: requestSeconds * 1000,
      keepAliveMs: keepAliveSeconds * 1000,
    },
    patCacheTtlSeconds: integer(env, "PATGATE_PAT_CACHE_TTL", 60, 0, 3600, " number of seconds"),
    rateLimitPerMinute: integer(env, "PATGATE_RATE_LIMIT", 6000, 1, 10_000_000, " (requests per minute per IP)"),
    failuresPerTokenPerMinute: integer(
      env,
      "PATGATE_TOKEN_FAILURE_LIMIT",
      10,
      1,
      100_000,
      " (failures per minute per token id per address)",
    ),
    failuresPerAddressPerMinute: integer(
      env,
      "PATGATE_ADDRESS_FAILURE_LIMIT",
      100,
      1,
      10_000_000,
      " (failures per minute per address)",
    ),
    embeddedWorker: flag(env, "PATGATE_WORKER", true),
    ...lifetime(env, "PATGATE_MAX_TOKEN_LIFETIME", 366 * 86_400),
    githubKeysUrl: env.PATGATE_GITHUB_KEYS_URL?.trim()
      ? httpUrl("PATGATE_GITHUB_KEYS_URL", env.PATGATE_GITHUB_KEYS_URL.trim())
      : GITHUB_SECRET_SCANNING_KEYS_URL,
    scryptConcurrency: integer(env, "PATGATE_SCRYPT_CONCURRENCY", defaultScryptConcurrency(), 1, 256),
    scryptMaxWaitMs: integer(env, "PATGATE_SCRYPT_MAX_WAIT", 1000, 10, 60_000, " number of milliseconds"),
    coldExchangesPerMinute: integer(
      env,
      "PATGATE_COLD_EXCHANGES_PER_MINUTE",
      60,
      1,
      10_000_000,
      " (cold exchanges per minute per client address)",
    ),
    jwtRevocationsPerMinute: integer(
      env,
      "PATGATE_JWT_REVOCATIONS_PER_MINUTE",
      30,
      1,
      1_000_000,
      " (JWT revocations per minute per PAT)",
    ),
    ...(webhook === undefined ? {} : { webhook }),
    ...(revokeUnusedAfterSeconds === undefined ? {} : { revokeUnusedAfterSeconds }),
    console: consoleConfig(env),
  };
}
