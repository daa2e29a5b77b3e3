import { isAbsolute, resolve } from "node:path";
import {
  assertTokenPrefix,
  DEFAULT_AUDIENCE,
  DEFAULT_TOKEN_PREFIX,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from "@patgate/shared";
import { GITHUB_SECRET_SCANNING_KEYS_URL } from "./leaks/github-keys.js";
import { parseWebhookSecret, WEBHOOK_SECRET_PREFIX } from "./webhooks/signature.js";

/** Everything the issuer reads from its environment, parsed once at start-up. */
export interface IssuerConfig {
  readonly port: number;
  readonly host: string;
  /** The `iss` claim and the metadata's issuer URL. */
  readonly issuer: string;
  /** Allowed audiences; the first is the default `aud`. */
  readonly audiences: readonly [string, ...string[]];
  /** JWT lifetime in seconds. */
  readonly jwtTtlSeconds: number;
  /** DynamoDB endpoint; undefined means AWS (when configured) or the embedded store. */
  readonly dynamoEndpoint?: string;
  readonly awsRegion?: string;
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
  /** Requests per minute per client IP on /token and /revoke. */
  readonly rateLimitPerMinute: number;
  /** Failed exchanges per minute per token id before it is locked out for the minute. */
  readonly failuresPerTokenPerMinute: number;
  /** Run the revocation worker inside the issuer (Redis mode); false when `patgate worker` runs apart. */
  readonly embeddedWorker: boolean;
  /** Where GitHub's secret-scanning public keys are fetched (`POST /leaks/github`). */
  readonly githubKeysUrl: string;
  /** Where token lifecycle events are POSTed, signed per Standard Webhooks; undefined: no webhooks. */
  readonly webhook?: WebhookConfig;
  /** Revoke PATs unused (since `lastUsedAt`, or `createdAt`) for this many seconds; undefined: never. */
  readonly revokeUnusedAfterSeconds?: number;
}

/** `PATGATE_WEBHOOK_URL` and `PATGATE_WEBHOOK_SECRET`, always set together. */
export interface WebhookConfig {
  /** An http(s) URL. */
  readonly url: string;
  /** `whsec_` and the base64 of 24 to 64 random bytes (the Standard Webhooks format). */
  readonly secret: string;
}

/** A bad environment value: the message is one line naming the variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

function fail(variable: string, expectation: string, value: string): never {
  throw new ConfigError(`${variable} ${expectation}, got ${JSON.stringify(value)}`);
}

function integer(env: Env, variable: string, fallback: number, min: number, max: number, unit = ""): number {
  const raw = env[variable];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) fail(variable, `must be an integer${unit} from ${min} to ${max}`, raw);
  const value = Number(raw.trim());
  if (value < min || value > max) fail(variable, `must be an integer${unit} from ${min} to ${max}`, raw);
  return value;
}

function httpUrl(variable: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(variable, "must be an http(s) URL", raw);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") fail(variable, "must be an http(s) URL", raw);
  return raw.replace(/\/+$/, "");
}

function flag(env: Env, variable: string, fallback: boolean): boolean {
  const raw = env[variable]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "on", "yes"].includes(raw)) return true;
  if (["0", "false", "off", "no"].includes(raw)) return false;
  return fail(variable, "must be on or off", raw);
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

const DURATION_UNITS: Record<string, number> = { h: 3600, d: 86_400, w: 7 * 86_400, y: 365 * 86_400 };

/**
 * `PATGATE_REVOKE_UNUSED_AFTER`: a number and a unit (`h`, `d`, `w`, `y`), at
 * least a day and at most ten years. A unit is required: a bare `90` meaning
 * 90 seconds would revoke nearly every token.
 */
function unusedAfter(env: Env): number | undefined {
  const raw = env.PATGATE_REVOKE_UNUSED_AFTER?.trim();
  if (!raw) return undefined;
  const match = /^(\d{1,6})([hdwy])$/.exec(raw);
  const seconds = match ? Number(match[1]) * (DURATION_UNITS[match[2] ?? ""] ?? 0) : 0;
  if (seconds < 86_400 || seconds > 10 * 365 * 86_400)
    fail("PATGATE_REVOKE_UNUSED_AFTER", "must be a duration from 1d to 10y, like 90d, 12w or 1y", raw);
  return seconds;
}

const LOG_LEVELS = new Set(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/**
 * Parses the issuer's configuration from environment variables (SPEC.md's
 * table plus a few `PATGATE_*` tuning knobs). Throws {@link ConfigError} on the
 * first bad value.
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
  const redisPrefix = env.PATGATE_REDIS_PREFIX?.trim() || "patgate";
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(redisPrefix))
    fail("PATGATE_REDIS_PREFIX", "must be 1-64 of [A-Za-z0-9_.:-]", redisPrefix);

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

  const webhook = webhookConfig(env);
  const revokeUnusedAfterSeconds = unusedAfter(env);

  const logLevel = env.PATGATE_LOG_LEVEL?.trim() || "info";
  if (!LOG_LEVELS.has(logLevel)) fail("PATGATE_LOG_LEVEL", `must be one of ${[...LOG_LEVELS].join(", ")}`, logLevel);

  return {
    port,
    host,
    issuer,
    audiences: audiences as [string, ...string[]],
    jwtTtlSeconds,
    ...(dynamoEndpoint === undefined ? {} : { dynamoEndpoint }),
    ...(awsRegion === undefined ? {} : { awsRegion }),
    embedded,
    tableName,
    ...(redisUrl === undefined ? {} : { redisUrl }),
    redisPrefix,
    dataDir,
    ...(signingKeysPath === undefined ? {} : { signingKeysPath }),
    signingAlgorithm: algText as SigningAlgorithm,
    tokenPrefix,
    logLevel: logLevel as IssuerConfig["logLevel"],
    patCacheTtlSeconds: integer(env, "PATGATE_PAT_CACHE_TTL", 60, 0, 3600, " number of seconds"),
    rateLimitPerMinute: integer(env, "PATGATE_RATE_LIMIT", 6000, 1, 10_000_000, " (requests per minute per IP)"),
    failuresPerTokenPerMinute: integer(
      env,
      "PATGATE_TOKEN_FAILURE_LIMIT",
      10,
      1,
      100_000,
      " (failures per minute per token)",
    ),
    embeddedWorker: flag(env, "PATGATE_WORKER", true),
    githubKeysUrl: env.PATGATE_GITHUB_KEYS_URL?.trim()
      ? httpUrl("PATGATE_GITHUB_KEYS_URL", env.PATGATE_GITHUB_KEYS_URL.trim())
      : GITHUB_SECRET_SCANNING_KEYS_URL,
    ...(webhook === undefined ? {} : { webhook }),
    ...(revokeUnusedAfterSeconds === undefined ? {} : { revokeUnusedAfterSeconds }),
  };
}
