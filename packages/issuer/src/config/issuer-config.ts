import type { RedisKeys, SigningAlgorithm } from "@patgate/shared";
import type { AuthorizationTypes } from "../authorization/authorization-types.js";
import type { WebhookConfig } from "../webhooks/signature.js";
import type { ConsoleConfig } from "./console-config.js";
import type { DpopConfig } from "./dpop-config.js";
import type { SsfConfig } from "./ssf-config.js";
import type { StatusListConfig } from "./status-list-config.js";

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
  /** `REDIS_CLUSTER_NODES`: seeds of a Redis Cluster, used instead of `redisUrl` (see `redis/redis-config.ts`). */
  readonly redisClusterNodes?: readonly string[];
  /** Prefix of every Redis key. */
  readonly redisPrefix: string;
  /** Every Redis key name, under `redisPrefix` (derived once, here). */
  readonly redisKeys: RedisKeys;
  /** Absolute path of the data dir (embedded store, generated keys). */
  readonly dataDir: string;
  /** Path of a private JWKS file; undefined means keys generated in `dataDir`. */
  readonly signingKeysPath?: string;
  /** Where the signing keys are read: `signingKeysPath`, or `signing-keys.json` in `dataDir`, generated there. */
  readonly signingKeysFile: { readonly path: string; readonly generate: boolean };
  readonly signingAlgorithm: SigningAlgorithm;
  readonly tokenPrefix: string;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Seconds a verified PAT is served from memory without scrypt. */
  readonly patCacheTtlSeconds: number;
  /**
   * The oldest PAT state an exchange mints from, seconds (derived): a cached
   * record lives at most the cache's lifetime, and a read that took longer (a
   * stalled request) is refused. Deny marks outlive JWTs by at least this much.
   */
  readonly stateMaxAgeSeconds: number;
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
  /** Proof of possession at `/token` (`PATGATE_DPOP*`). */
  readonly dpop: DpopConfig;
  /** The Token Status List (`PATGATE_STATUS_LIST*`); absent: off. */
  readonly statusList?: StatusListConfig;
  /** The RFC 9396 authorization detail types PATs may carry (`PATGATE_AUTHORIZATION_TYPES`); empty: none. */
  readonly authorizationTypes: AuthorizationTypes;
  /** The Shared Signals transmitter (`PATGATE_SSF_*`). */
  readonly ssf: SsfConfig;
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
