import { redisKeys } from "@patgate/shared";
import { noAudit } from "./audit/audit-event.js";
import type { AppDeps, IssuerContext } from "./context.js";
import { createAccessTokenChecker } from "./http/access-token-check.js";
import { createIssuerMetrics } from "./metrics/issuer-metrics.js";
import { createPatCache } from "./pat-cache/pat-cache.js";
import { createAddressBudget } from "./rate-limit/address-budget.js";
import { createMemoryFailureLimiter, createRedisFailureLimiter } from "./rate-limit/failure-limiter.js";
import { createTokenService } from "./token-service/token-service.js";
import { createPatExchange, stateMaxAgeSeconds } from "./tokens/exchange-pat.js";

/**
 * What every route shares, derived from the deps: the PAT cache, the
 * failure lock-out (in Redis when there is one, so every issuer shares it),
 * the cold-exchange budget, one access-token checker and one PAT exchange for the app's life.
 * The caller closes `accessTokens`.
 */
export function createIssuerContext(deps: AppDeps): IssuerContext {
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
    ? createRedisFailureLimiter(deps.redis, redisKeys(config.redisPrefix), failureLimits)
    : createMemoryFailureLimiter(failureLimits, now);
  const coldExchanges = createAddressBudget({ perMinute: config.coldExchangesPerMinute, now });
  const metrics = deps.metrics ?? createIssuerMetrics();
  return {
    ...deps,
    now,
    audit,
    revoker: revocation.revoker,
    patCache,
    denyView: revocation.denyView,
    metrics,
    tokenService: createTokenService({
      store: deps.store,
      revoker: revocation.revoker,
      audit,
      events: revocation.events,
      revocations: metrics.revocations,
      now,
    }),
    failures,
    outbox: revocation.outbox,
    coldExchanges,
    events: revocation.events,
    accessTokens: createAccessTokenChecker({ config, keys: deps.keys, denyList: revocation.denyView, now }),
    exchangePat: createPatExchange({
      store: deps.store,
      keys: deps.keys,
      cache: patCache,
      failures,
      coldExchanges,
      ...(deps.scrypt ? { scrypt: deps.scrypt } : {}),
      audit,
      issuer: config.issuer,
      audiences: config.audiences,
      adminAudience: config.adminAudience,
      tokenPrefix: config.tokenPrefix,
      jwtTtlSeconds: config.jwtTtlSeconds,
      stateMaxAgeSeconds: stateMaxAgeSeconds(config.patCacheTtlSeconds),
      now,
    }),
  };
}
