import type { AuditSink } from "./audit/audit-event.js";
import { noAudit } from "./audit/audit-event.js";
import type { AuditQuery } from "./audit/audit-log.js";
import type { IssuerConfig } from "./config.js";
import { createDpopParts } from "./dpop/dpop-parts.js";
import type { TokenProofCheck } from "./dpop/token-proof.js";
import type { EventSink } from "./events/token-events.js";
import type { PatExchange } from "./exchange/exchange-pat.js";
import { createPatExchange } from "./exchange/exchange-pat.js";
import type { ScryptBudget } from "./exchange/scrypt-budget.js";
import type { AccessTokenChecker } from "./jwt/access-token-check.js";
import { createAccessTokenChecker } from "./jwt/access-token-check.js";
import type { SigningKeys } from "./jwt/signing-keys.js";
import type { IssuerMetrics } from "./metrics/issuer-metrics.js";
import { createIssuerMetrics } from "./metrics/issuer-metrics.js";
import type { PatCache } from "./pat-cache/pat-cache.js";
import { createPatCache } from "./pat-cache/pat-cache.js";
import type { AddressBudget } from "./rate-limit/address-budget.js";
import { createAddressBudget } from "./rate-limit/address-budget.js";
import type { FailureLimiter } from "./rate-limit/failure-limiter.js";
import { createMemoryFailureLimiter, createRedisFailureLimiter } from "./rate-limit/failure-limiter.js";
import type { RedisConnection } from "./redis/connection.js";
import type { DenyView } from "./revocation/deny-view.js";
import type { Outbox } from "./revocation/outbox.js";
import type { Revocation } from "./revocation/revocation.js";
import type { ServiceAccountStore } from "./service-accounts/service-account-store.js";
import type { Ssf } from "./ssf/ssf.js";
import type { StatusList } from "./status-list/status-list.js";
import type { TokenService } from "./token-service/token-service.js";
import { createTokenService } from "./token-service/token-service.js";
import type { TokenStore } from "./tokens/types.js";
import type { Webhooks } from "./webhooks/webhooks.js";

/** What `buildApp` takes from outside: stores, keys, revocation. Built by `server-parts.ts` (from `dependencies.ts`), or by tests. */
export interface AppParts {
  readonly config: IssuerConfig;
  readonly store: TokenStore;
  readonly keys: SigningKeys;
  /** The token changes, the feed of revocations and the deny view (see `createRevocation`). */
  readonly revocation: Revocation;
  /** Audit trail; default drops events. */
  readonly audit?: AuditSink;
  /** Redis for shared rate limits and readiness; absent in the embedded default. */
  readonly redis?: RedisConnection;
  /** Current time in epoch ms; default Date.now. */
  readonly now?: () => number;
  /** Pino options, or false for no logs; default info-level JSON to stdout. */
  readonly logger?: boolean | Record<string, unknown>;
  /** Reads the audit trail of a token for the admin API. */
  readonly auditTrail?: AuditTrailReader;
  /** Metrics; made by `buildApp` when absent (dependencies pass theirs to feed worker figures). */
  readonly metrics?: IssuerMetrics;
  /** Webhook deliveries, for `GET /admin/webhooks/deliveries`; absent: nothing is listed. */
  readonly webhooks?: Webhooks;
  /** The scrypt budget the store's secret checks run under, so an exchange can shed before reading the store. */
  readonly scrypt?: ScryptBudget;
  /** The web console at `/console`; default on. */
  readonly console?: boolean;
  /** The Token Status List (`PATGATE_STATUS_LIST=on`): JWTs carry `status`, `/statuslists/{n}` serves it. */
  readonly statusList?: StatusList;
  /** Service accounts (`svc:<name>` owners, `/admin/service-accounts`); absent: no such routes, `svc:` owners unchecked. */
  readonly serviceAccounts?: ServiceAccountStore;
  /** The Shared Signals transmitter (`/ssf/…`); absent: no such routes. */
  readonly ssf?: Ssf;
}

/** Reads the audit trail, newest first: of one token, or all of it. */
export interface AuditTrailReader {
  list(
    tokenId: string,
    options: { readonly limit: number; readonly cursor?: string },
  ): Promise<{ readonly items: readonly unknown[]; readonly nextCursor?: string }>;
  listAll?(query: AuditQuery): Promise<{ readonly items: readonly unknown[]; readonly nextCursor?: string }>;
}

/**
 * What the routes share: the parts they use, and what `buildApp` derives from
 * them. Each route takes the slice it uses (`Pick<AppContext, ...>`).
 */
export interface AppContext {
  readonly config: IssuerConfig;
  readonly store: TokenStore;
  readonly keys: SigningKeys;
  /** Redis for shared rate limits and readiness; absent in the embedded default. */
  readonly redis?: RedisConnection;
  readonly auditTrail?: AuditTrailReader;
  readonly webhooks?: Webhooks;
  readonly ssf?: Ssf;
  readonly now: () => number;
  readonly audit: AuditSink;
  /**
   * Every change to PATs (create, update, rotate, restore, revoke, deny), audited: the admin API, the console,
   * the holder's `/revoke` and self-rotation and the leak response call it (the token changes are reached only through it).
   */
  readonly tokenService: TokenService;
  readonly patCache: PatCache;
  readonly denyView: DenyView;
  readonly metrics: IssuerMetrics;
  readonly failures: FailureLimiter;
  readonly outbox: Outbox;
  /** Per client address: exchanges the PAT cache cannot serve, and PATs presented to `/revoke` (scrypt work). */
  readonly coldExchanges: AddressBudget;
  /** Lifecycle events (the revocation's sink): token creation and leak response emit here too. */
  readonly events: EventSink;
  /** Checks the JWTs this issuer minted (admin API, `/revoke`, `/introspect`); one verifier for the app's life. */
  readonly accessTokens: AccessTokenChecker;
  /** The one PAT-for-JWT exchange of this app: `/token` and the console's admin-PAT sign-in go through it. */
  readonly exchangePat: PatExchange;
  /** The DPoP proof check of `/token` (RFC 9449), with its replay guard and nonces. */
  readonly tokenProof: TokenProofCheck;
  /** Service accounts, when the parts have them. */
  readonly serviceAccounts?: ServiceAccountStore;
}

/**
 * What every route shares, derived from the parts: the PAT cache, the
 * failure lock-out (in Redis when there is one, so every issuer shares it),
 * the cold-exchange budget, one access-token checker and one PAT exchange for the app's life.
 * The caller closes `accessTokens`.
 */
export function createAppContext(deps: AppParts): AppContext {
  const now = deps.now ?? Date.now;
  const { revocation, config } = deps;
  const failureLimits = {
    perTokenAndAddress: config.failuresPerTokenPerMinute,
    perAddress: config.failuresPerAddressPerMinute,
  };
  const audit = deps.audit ?? noAudit;
  // Trusted only while every change reaches this process (see RevocationFeed.healthy).
  const patCache = createPatCache({ ttlSeconds: config.patCacheTtlSeconds, trusted: revocation.feed.healthy });
  const failures = deps.redis
    ? createRedisFailureLimiter(deps.redis, config.redisKeys, failureLimits)
    : createMemoryFailureLimiter(failureLimits, now);
  const coldExchanges = createAddressBudget({ perMinute: config.coldExchangesPerMinute, now });
  const metrics = deps.metrics ?? createIssuerMetrics();
  // With a transmitter, its audience too: a receiver's stream-management JWT (the SSF routes check its role).
  const withSsf = deps.ssf ? [...config.audiences, config.ssf.audience] : config.audiences;
  return {
    config,
    store: deps.store,
    keys: deps.keys,
    ...(deps.redis ? { redis: deps.redis } : {}),
    ...(deps.auditTrail ? { auditTrail: deps.auditTrail } : {}),
    ...(deps.webhooks ? { webhooks: deps.webhooks } : {}),
    ...(deps.ssf ? { ssf: deps.ssf } : {}),
    now,
    audit,
    patCache,
    denyView: revocation.denyView,
    metrics,
    tokenService: createTokenService({
      store: deps.store,
      tokenChanges: revocation.changes,
      audit,
      events: revocation.events,
      revocations: metrics.revocations,
      now,
      ...(deps.serviceAccounts ? { serviceAccounts: deps.serviceAccounts } : {}),
    }),
    ...(deps.serviceAccounts ? { serviceAccounts: deps.serviceAccounts } : {}),
    failures,
    outbox: revocation.outbox,
    coldExchanges,
    events: revocation.events,
    tokenProof: createDpopParts({ config, keys: deps.keys, ...(deps.redis ? { redis: deps.redis } : {}) }),
    accessTokens: createAccessTokenChecker({
      config: { ...config, audiences: withSsf },
      keys: deps.keys,
      denyList: revocation.denyView,
      now,
      ...(deps.redis ? { replayRedis: { redis: deps.redis, keyPrefix: config.redisPrefix } } : {}),
    }),
    exchangePat: createPatExchange({
      store: deps.store,
      keys: deps.keys,
      cache: patCache,
      failures,
      coldExchanges,
      ...(deps.scrypt ? { scrypt: deps.scrypt } : {}),
      audit,
      issuer: config.issuer,
      audiences: withSsf,
      adminAudience: config.adminAudience,
      tokenPrefix: config.tokenPrefix,
      jwtTtlSeconds: config.jwtTtlSeconds,
      stateMaxAgeSeconds: config.stateMaxAgeSeconds,
      now,
      ...(deps.statusList ? { statusList: deps.statusList } : {}),
    }),
  };
}
