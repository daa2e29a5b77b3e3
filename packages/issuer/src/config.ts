import { isAbsolute, resolve } from "node:path";
import {
  assertTokenPrefix,
  DEFAULT_AUDIENCE,
  DEFAULT_TOKEN_PREFIX,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from "@patgate/shared";
import { defaultScryptConcurrency } from "./tokens/scrypt-budget.js";

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
  /** scrypt verifications running at once (`PATGATE_SCRYPT_CONCURRENCY`). */
  readonly scryptConcurrency: number;
  /** Longest expected wait for scrypt before an exchange is shed with a 503, ms (`PATGATE_SCRYPT_MAX_WAIT`). */
  readonly scryptMaxWaitMs: number;
  /** Exchanges per minute per client address that the PAT cache cannot serve (`PATGATE_COLD_EXCHANGES_PER_MINUTE`). */
  readonly coldExchangesPerMinute: number;
  /** JWTs one PAT may revoke per minute at `POST /revoke` (`PATGATE_JWT_REVOCATIONS_PER_MINUTE`). */
  readonly jwtRevocationsPerMinute: number;
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
  };
}
