import { redisKeys } from "@patgate/shared";
import { noAudit } from "./audit/audit-event.js";
import type { AppDeps, IssuerContext } from "./context.js";
import { createAccessTokenChecker } from "./http/access-token-check.js";
import { createIssuerMetrics } from "./metrics/issuer-metrics.js";
import { createPatCache } from "./pat-cache/pat-cache.js";
import { createAddressBudget } from "./rate-limit/address-budget.js";
import { createMemoryFailureLimiter, createRedisFailureLimiter } from "./rate-limit/failure-limiter.js";

/**
 * What every route shares, derived from the deps: the PAT cache, the
 * failure lock-out (in Redis when there is one, so every issuer shares it),
 * the cold-exchange budget, and one access-token checker for the app's life.
 * The caller closes `accessTokens`.
 */
export function createIssuerContext(deps: AppDeps): IssuerContext {
  const now = deps.now ?? Date.now;
  const { revocation, config } = deps;
  const failureLimits = {
    perTokenAndAddress: config.failuresPerTokenPerMinute,
    perAddress: config.failuresPerAddressPerMinute,
  };
  return {
    ...deps,
    now,
    audit: deps.audit ?? noAudit,
    revoker: revocation.revoker,
    // Trusted only while every change reaches this process (see RevocationFeed.healthy).
    patCache: createPatCache({ ttlSeconds: config.patCacheTtlSeconds, trusted: revocation.feed.healthy }),
    denyView: revocation.denyView,
    metrics: deps.metrics ?? createIssuerMetrics(),
    failures: deps.redis
      ? createRedisFailureLimiter(deps.redis, redisKeys(config.redisPrefix), failureLimits)
      : createMemoryFailureLimiter(failureLimits, now),
    outbox: revocation.outbox,
    coldExchanges: createAddressBudget({ perMinute: config.coldExchangesPerMinute, now }),
    events: revocation.events,
    accessTokens: createAccessTokenChecker({ config, keys: deps.keys, denyList: revocation.denyView, now }),
  };
}
