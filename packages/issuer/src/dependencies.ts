import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DEFAULT_SCRYPT_PARAMS, redisKeys } from "@patgate/shared";
import { type AuditLog, createAuditLog, createAuditTable } from "./audit/audit-log.js";
import type { IssuerConfig } from "./config.js";
import type { AppDeps } from "./context.js";
import { type LocalDynamo, startLocalDynamo } from "./embedded/local-dynamo.js";
import { loadSigningKeys } from "./jwt/signing-keys.js";
import { startLifecycle } from "./lifecycle/lifecycle.js";
import type { LifecycleScheduler } from "./lifecycle/lifecycle-scheduler.js";
import { createIssuerMetrics, type IssuerMetrics } from "./metrics/issuer-metrics.js";
import { openRedis, type RedisConnection, redisTarget } from "./redis/connection.js";
import { commandConnectionOptions } from "./redis/connection-options.js";
import { createOutbox, createOutboxTable, outboxTableName } from "./revocation/outbox.js";
import { createRevocation, type Revocation } from "./revocation/revocation.js";
import { stateMaxAgeSeconds } from "./tokens/exchange-pat.js";
import { createTokenStore, createTokenTable } from "./tokens/index.js";
import { createScryptBudget } from "./tokens/scrypt-budget.js";
import type { TokenStore } from "./tokens/types.js";
import { createWebhookDeliveries, createWebhookTable, webhookTableName } from "./webhooks/webhook-deliveries.js";
import { createWebhooks, type Webhooks } from "./webhooks/webhooks.js";

/** The issuer's dependencies, built from its configuration, and how to release them. */
export interface Dependencies {
  readonly deps: AppDeps;
  readonly dynamo: DynamoDBClient;
  readonly auditLog: AuditLog;
  readonly auditTableName: string;
  /** The embedded store, when there is one. */
  readonly localDynamo?: LocalDynamo;
  close(): Promise<void>;
}

/** Name of the audit table beside the token table. */
export function auditTableName(config: IssuerConfig): string {
  return `${config.tableName}-audit`;
}

/** A DynamoDB client for the configuration: the embedded store (in this process), an endpoint, or AWS. */
export function dynamoClient(config: IssuerConfig, local?: LocalDynamo): DynamoDBClient {
  if (local) {
    return new DynamoDBClient({
      endpoint: local.endpoint,
      region: config.awsRegion ?? "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 2,
      // Requests are served in process: the embedded store listens on nothing.
      requestHandler: local.requestHandler,
    });
  }
  const target = config.dynamoEndpoint;
  return new DynamoDBClient({
    ...(target ? { endpoint: target } : {}),
    region: config.awsRegion ?? "us-east-1",
    // Local emulators accept any credentials; AWS uses the default provider chain.
    ...(target && !config.awsCredentialsInEnv
      ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 },
  });
}

/** Creates the token, audit, revocation-outbox and webhook-delivery tables if missing. */
export async function createTables(client: DynamoDBClient, config: IssuerConfig): Promise<void> {
  await createTokenTable(client, config.tableName);
  await createAuditTable(client, auditTableName(config));
  await createOutboxTable(client, outboxTableName(config.tableName));
  await createWebhookTable(client, webhookTableName(config.tableName));
}

/** Writes what goes wrong in background work (no request to fail) to stderr as a JSON line. */
function warn(msg: string, error: unknown): void {
  process.stderr.write(
    `${JSON.stringify({ level: 40, time: Date.now(), msg, err: error instanceof Error ? error.message : String(error) })}\n`,
  );
}

/**
 * The issuer's two Redis connections, when it has Redis: the base one
 * (commands fail fast while Redis is away, so requests never hang on it) and
 * one for rate limits and readiness with auto-pipelining (under load, the
 * limit checks of one event-loop tick go out as one write instead of one each).
 * Both reconnect on their own: readiness reports it, rate limits skip it,
 * revocations wait in the outbox.
 */
function openConnections(config: IssuerConfig): { redis?: RedisConnection; limits?: RedisConnection } {
  const target = redisTarget(config);
  if (!target) return {};
  const redis = openRedis(target, commandConnectionOptions());
  const limits = openRedis(target, { ...commandConnectionOptions(), enableAutoPipelining: true });
  redis.on("error", () => {});
  limits.on("error", () => {});
  return { redis, limits };
}

/** The token store, its secret checks queued in one scrypt budget so a flood is shed instead of filling the thread pool. */
function createTokens(dynamo: DynamoDBClient, config: IssuerConfig, metrics: IssuerMetrics) {
  const scrypt = createScryptBudget({
    concurrency: config.scryptConcurrency,
    maxWaitMs: config.scryptMaxWaitMs,
    onShed: () => metrics.scryptShed.inc(),
    onQueued: (queued) => metrics.scryptQueued.set(queued),
  });
  const store = createTokenStore(dynamo, {
    tableName: config.tableName,
    tokenPrefix: config.tokenPrefix,
    scrypt: DEFAULT_SCRYPT_PARAMS,
    ...(config.maxTokenLifetimeSeconds === undefined ? {} : { maxLifetimeSeconds: config.maxTokenLifetimeSeconds }),
    verifySecret: scrypt.verifySecret,
  });
  return { scrypt, store };
}

/** Token events, delivered where the revocation worker runs (with Redis), or by this process (embedded). */
function createEventDelivery(
  dynamo: DynamoDBClient,
  config: IssuerConfig,
  metrics: IssuerMetrics,
  redis: RedisConnection | undefined,
): Webhooks {
  return createWebhooks({
    deliveries: createWebhookDeliveries(dynamo, webhookTableName(config.tableName)),
    ...(config.webhook ? { webhook: config.webhook } : {}),
    ...(redis
      ? { redis: { connection: redis, keys: redisKeys(config.redisPrefix), worker: config.embeddedWorker } }
      : {}),
    onDelivered: () => metrics.webhooksDelivered.inc(),
    onFailed: () => metrics.webhooksFailed.inc(),
    onPending: (count) => metrics.webhooksPending.set(count),
    onError: (error) => warn("a webhook event could not be recorded or delivered", error),
  });
}

/** Revocation's write side and feed, through Redis when there is one, with its metrics. */
function openRevocation(
  dynamo: DynamoDBClient,
  config: IssuerConfig,
  parts: { store: TokenStore; webhooks: Webhooks; metrics: IssuerMetrics; redis: RedisConnection | undefined },
): Promise<Revocation> {
  const { store, webhooks, metrics, redis } = parts;
  return createRevocation({
    store,
    outbox: createOutbox(dynamo, outboxTableName(config.tableName)),
    events: webhooks.sink,
    jwtTtlSeconds: config.jwtTtlSeconds,
    stateMaxAgeSeconds: stateMaxAgeSeconds(config.patCacheTtlSeconds),
    ...(redis
      ? {
          redis: {
            connection: redis,
            keys: redisKeys(config.redisPrefix),
            worker: config.embeddedWorker,
            onPending: (count: number) => metrics.pendingRevocations.set(count),
            onFailed: (count: number) => metrics.failedRevocations.set(count),
            onPropagated: (lag: number) => metrics.propagationSeconds.observe(lag / 1000),
          },
        }
      : {}),
  });
}

/** Expiry warnings (and unused-token revocation), started where the revocation worker runs. */
function startLifecycleHere(
  dynamo: DynamoDBClient,
  config: IssuerConfig,
  parts: { webhooks: Webhooks; revocation: Revocation; auditLog: AuditLog; redis: RedisConnection | undefined },
): LifecycleScheduler | undefined {
  const { webhooks, revocation, auditLog, redis } = parts;
  if (redis && !config.embeddedWorker) return undefined;
  return startLifecycle({
    client: dynamo,
    tableName: config.tableName,
    events: webhooks.sink,
    onError: (error, task) => warn(`lifecycle task ${task} failed`, error),
    ...(redis ? { redis: { connection: redis, keys: redisKeys(config.redisPrefix) } } : {}),
    ...(config.revokeUnusedAfterSeconds
      ? { unused: { afterSeconds: config.revokeUnusedAfterSeconds, revoker: revocation.revoker, audit: auditLog } }
      : {}),
  });
}

/**
 * Builds everything the issuer needs from its configuration: the embedded
 * store or DynamoDB, the signing keys, the revocation bus and Redis.
 */
export async function createDependencies(config: IssuerConfig): Promise<Dependencies> {
  const localDynamo = config.embedded ? await startLocalDynamo(config.dataDir) : undefined;
  const dynamo = dynamoClient(config, localDynamo);
  // Embedded and local emulators get their tables made on start; on AWS, run `patgate table create` once.
  if (config.embedded || config.dynamoEndpoint) await createTables(dynamo, config);

  const metrics = createIssuerMetrics();
  const { scrypt, store } = createTokens(dynamo, config, metrics);
  const keys = await loadSigningKeys({
    path: config.signingKeysPath ?? join(config.dataDir, "signing-keys.json"),
    generate: config.signingKeysPath === undefined,
    algorithm: config.signingAlgorithm,
    jwtTtlSeconds: config.jwtTtlSeconds,
  });
  const auditLog = createAuditLog(dynamo, auditTableName(config));
  const { redis, limits } = openConnections(config);
  const webhooks = createEventDelivery(dynamo, config, metrics, redis);
  const revocation = await openRevocation(dynamo, config, { store, webhooks, metrics, redis });
  const lifecycle = startLifecycleHere(dynamo, config, { webhooks, revocation, auditLog, redis });

  return {
    deps: {
      config,
      store,
      keys,
      metrics,
      audit: auditLog,
      auditTrail: auditLog,
      revocation,
      webhooks,
      scrypt,
      ...(limits ? { redis: limits } : {}),
    },
    dynamo,
    auditLog,
    auditTableName: auditTableName(config),
    ...(localDynamo ? { localDynamo } : {}),
    async close() {
      await lifecycle?.close();
      await auditLog.flush();
      await revocation.close();
      await webhooks.close();
      redis?.disconnect();
      limits?.disconnect();
      dynamo.destroy();
      await localDynamo?.close();
    },
  };
}
