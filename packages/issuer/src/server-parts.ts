import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { AuditLog } from "./audit/audit-log.js";
import type { IssuerConfig } from "./config.js";
import type { AppParts } from "./context.js";
import { ssfFor, webhooksFor } from "./delivery-parts.js";
import {
  auditLogFor,
  lifecycleFor,
  openRedisConnection,
  openStorage,
  revocationFor,
  serviceAccountsFor,
  signingKeysFor,
  statusListFor,
  tokenStoreFor,
} from "./dependencies.js";
import type { LocalDynamo } from "./embedded/local-dynamo.js";
import { createScryptBudget } from "./exchange/scrypt-budget.js";
import { createIssuerMetrics, type IssuerMetrics } from "./metrics/issuer-metrics.js";
import type { Ssf } from "./ssf/ssf.js";
import { publishAlongside } from "./ssf/ssf-keys.js";
import type { Webhooks } from "./webhooks/webhooks.js";

/** The parts of a running issuer, and how to release them. */
export interface ServerParts {
  /** What `buildApp` takes. */
  readonly app: AppParts;
  readonly dynamo: DynamoDBClient;
  readonly auditLog: AuditLog;
  /** The embedded store, when there is one. */
  readonly localDynamo?: LocalDynamo;
  close(): Promise<void>;
}

/** Writes what goes wrong in background work (no request to fail) to stderr as a JSON line. */
function warn(msg: string, error: unknown): void {
  process.stderr.write(
    `${JSON.stringify({ level: 40, time: Date.now(), msg, err: error instanceof Error ? error.message : String(error) })}\n`,
  );
}

/** The scrypt budget the store's secret checks run in, so a flood is shed instead of filling the thread pool. */
function scryptBudgetFor(config: IssuerConfig, metrics: IssuerMetrics) {
  return createScryptBudget({
    concurrency: config.scryptConcurrency,
    maxWaitMs: config.scryptMaxWaitMs,
    onShed: () => metrics.scryptShed.inc(),
    onQueued: (queued) => metrics.scryptQueued.set(queued),
  });
}

/**
 * Builds everything the issuer needs from its configuration: the embedded
 * store or DynamoDB, the signing keys, Redis (two connections: the base one,
 * and one with auto-pipelining for rate limits and readiness, whose checks of
 * one event-loop tick go out as one write), revocation, webhooks and, where
 * the revocation worker runs, the lifecycle.
 */
export async function createServerParts(config: IssuerConfig): Promise<ServerParts> {
  const { dynamo, localDynamo, close: closeStorage } = await openStorage(config, "local");
  const metrics = createIssuerMetrics();
  const scrypt = scryptBudgetFor(config, metrics);
  const store = tokenStoreFor(config, dynamo, scrypt.verifySecret);
  const keys = await signingKeysFor(config);
  const auditLog = auditLogFor(config, dynamo);
  const statusList = statusListFor(config, dynamo, keys);
  const redis = openRedisConnection(config);
  const limits = openRedisConnection(config, { enableAutoPipelining: true });
  const roles = { follow: true, worker: config.embeddedWorker, sweeper: true };
  const { webhooks, ssf } = await deliveriesFor(config, dynamo, { keys, redis, roles, metrics });
  const revocation = await revocationFor(config, dynamo, {
    store,
    webhooks,
    events: ssf.alongside(webhooks.sink),
    redis,
    roles,
    hooks: {
      onPending: (count) => metrics.pendingRevocations.set(count),
      onFailed: (count) => metrics.failedRevocations.set(count),
      onPropagated: (lag) => metrics.propagationSeconds.observe(lag / 1000),
    },
  });
  // Expiry warnings (and unused-token revocation) run where the revocation worker runs.
  const lifecycle =
    redis && !config.embeddedWorker
      ? undefined
      : lifecycleFor(config, dynamo, {
          store,
          webhooks,
          revocation,
          auditLog,
          redis,
          onError: (error, task) => warn(`lifecycle task ${task} failed`, error),
        });
  return {
    app: {
      config,
      store,
      keys: publishAlongside(keys, ssf.keys),
      metrics,
      audit: auditLog,
      auditTrail: auditLog,
      revocation,
      webhooks,
      ssf,
      scrypt,
      serviceAccounts: serviceAccountsFor(config, dynamo),
      ...(limits ? { redis: limits } : {}),
      ...(statusList ? { statusList } : {}),
    },
    dynamo,
    auditLog,
    ...(localDynamo ? { localDynamo } : {}),
    async close() {
      await lifecycle?.close();
      await auditLog.flush();
      await revocation.close();
      await webhooks.close();
      await ssf.close();
      redis?.disconnect();
      limits?.disconnect();
      await closeStorage();
    },
  };
}

/** Webhooks and Shared Signals pushes, their outcomes counted in `metrics`. */
async function deliveriesFor(
  config: IssuerConfig,
  dynamo: DynamoDBClient,
  parts: Pick<Parameters<typeof ssfFor>[2], "keys" | "redis" | "roles"> & { readonly metrics: IssuerMetrics },
): Promise<{ readonly webhooks: Webhooks; readonly ssf: Ssf }> {
  const { metrics, ...shared } = parts;
  const webhooks = webhooksFor(config, dynamo, {
    ...shared,
    hooks: {
      onDelivered: () => metrics.webhooksDelivered.inc(),
      onFailed: () => metrics.webhooksFailed.inc(),
      onPending: (count) => metrics.webhooksPending.set(count),
      onError: (error) => warn("a webhook event could not be recorded or delivered", error),
    },
  });
  const ssf = await ssfFor(config, dynamo, {
    ...shared,
    hooks: {
      onDelivered: () => metrics.ssfPushes.inc({ result: "delivered" }),
      onFailed: () => metrics.ssfPushes.inc({ result: "failed" }),
      onSet: (method) => metrics.ssfSets.inc({ method }),
      onDropped: () => metrics.ssfDropped.inc(),
      onError: (error) => warn("a Shared Signals event could not be recorded or delivered", error),
    },
    onPending: (count) => metrics.ssfPushesPending.set(count),
  });
  return { webhooks, ssf };
}
