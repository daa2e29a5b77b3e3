import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DEFAULT_SCRYPT_PARAMS } from "@patgate/shared";
import { type AuditLog, createAuditLog, createAuditTable } from "./audit/audit-log.js";
import type { IssuerConfig } from "./config.js";
import { type LocalDynamo, startLocalDynamo } from "./embedded/local-dynamo.js";
import type { EventSink } from "./events/token-events.js";
import type { SecretVerifier } from "./exchange/scrypt-budget.js";
import { loadSigningKeys, type SigningKeys } from "./jwt/signing-keys.js";
import { startLifecycle } from "./lifecycle/lifecycle.js";
import type { LifecycleScheduler } from "./lifecycle/lifecycle-scheduler.js";
import { openRedis, type RedisConnection, redisTarget } from "./redis/connection.js";
import { commandConnectionOptions } from "./redis/connection-options.js";
import { createOutbox, createOutboxTable, outboxTableName } from "./revocation/outbox.js";
import { createRevocation, type RedisRevocationOptions, type Revocation } from "./revocation/revocation.js";
import { createServiceAccountStore, type ServiceAccountStore } from "./service-accounts/service-account-store.js";
import { createSsfTables } from "./ssf/ssf.js";
import {
  createStatusList,
  createStatusTable,
  openStatusIndexes,
  type StatusIndexes,
  type StatusList,
  statusTableName,
} from "./status-list/status-list.js";
import { createTokenService } from "./token-service/token-service.js";
import { createTokenStore, createTokenTable } from "./tokens/index.js";
import { ownerTableName } from "./tokens/owner-revisions.js";
import type { TokenStore } from "./tokens/types.js";
import { createWebhookTable, webhookTableName } from "./webhooks/webhook-deliveries.js";
import type { Webhooks } from "./webhooks/webhooks.js";

/**
 * The composition root: the parts the issuer is made of (DynamoDB and its
 * tables, the token store, Redis, webhooks, revocation, the lifecycle), each
 * built one way from the configuration. The server (`server-parts.ts`),
 * `patgate worker` (`cli/commands/worker.ts`) and the CLI on the store
 * (`cli/open-local-admin.ts`) assemble them with their own switches.
 */

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

/** Creates the token, audit, revocation-outbox, webhook-delivery and Shared Signals tables if missing. */
export async function createTables(client: DynamoDBClient, config: IssuerConfig): Promise<void> {
  await createTokenTable(client, config.tableName);
  await createAuditTable(client, auditTableName(config));
  await createOutboxTable(client, outboxTableName(config.tableName));
  await createWebhookTable(client, webhookTableName(config.tableName));
  if (config.statusList?.enabled) await createStatusTable(client, statusTableName(config.tableName));
  await createSsfTables(client, config.tableName);
}

/** One status-index part per DynamoDB client: the store, the token changes and the exchange share it. */
const statusIndexesByClient = new WeakMap<DynamoDBClient, StatusIndexes>();

/** The Token Status List's indexes (`PATGATE_STATUS_LIST=on`), built once per DynamoDB client; undefined when off. */
export function statusIndexesFor(config: IssuerConfig, dynamo: DynamoDBClient): StatusIndexes | undefined {
  if (!config.statusList?.enabled) return undefined;
  let indexes = statusIndexesByClient.get(dynamo);
  if (!indexes) {
    indexes = openStatusIndexes(dynamo, config.tableName);
    statusIndexesByClient.set(dynamo, indexes);
  }
  return indexes;
}

/** The Token Status List an issuer serves (`GET /statuslists/{n}`) and puts in its JWTs; undefined when off. */
export function statusListFor(config: IssuerConfig, dynamo: DynamoDBClient, keys: SigningKeys): StatusList | undefined {
  const indexes = statusIndexesFor(config, dynamo);
  if (!indexes || !config.statusList) return undefined;
  return createStatusList(indexes, { keys, issuer: config.issuer, ttlSeconds: config.statusList.ttlSeconds });
}

/** DynamoDB as configured: the embedded store (started here) or a client of an endpoint or AWS. */
export interface Storage {
  readonly dynamo: DynamoDBClient;
  /** The embedded store, when there is one. */
  readonly localDynamo?: LocalDynamo;
  close(): Promise<void>;
}

/**
 * Opens DynamoDB. `tables`: `embedded` makes the tables of the embedded store
 * only (the CLI), `local` those of the embedded store and of an endpoint (the
 * server: local emulators get theirs on start; on AWS, `patgate table create`
 * once), `none` makes none (the worker).
 */
export async function openStorage(config: IssuerConfig, tables: "embedded" | "local" | "none"): Promise<Storage> {
  const localDynamo = config.embedded ? await startLocalDynamo(config.dataDir) : undefined;
  const dynamo = dynamoClient(config, localDynamo);
  const make =
    tables === "embedded"
      ? localDynamo !== undefined
      : tables === "local" && (config.embedded || config.dynamoEndpoint !== undefined);
  if (make) await createTables(dynamo, config);
  return {
    dynamo,
    ...(localDynamo ? { localDynamo } : {}),
    async close() {
      dynamo.destroy();
      await localDynamo?.close();
    },
  };
}

/** The token store, with the configured lifetime limit; `verifySecret` queues secret checks in a scrypt budget. */
export function tokenStoreFor(config: IssuerConfig, dynamo: DynamoDBClient, verifySecret?: SecretVerifier): TokenStore {
  const statusIndexes = statusIndexesFor(config, dynamo);
  return createTokenStore(dynamo, {
    ...(statusIndexes ? { allocateStatusIndex: statusIndexes.bits.allocate } : {}),
    tableName: config.tableName,
    tokenPrefix: config.tokenPrefix,
    scrypt: DEFAULT_SCRYPT_PARAMS,
    ...(config.maxTokenLifetimeSeconds === undefined ? {} : { maxLifetimeSeconds: config.maxTokenLifetimeSeconds }),
    ...(verifySecret ? { verifySecret } : {}),
    authorizationTypes: config.authorizationTypes,
  });
}

/** Service accounts, in the owner table beside the token table. */
export function serviceAccountsFor(config: IssuerConfig, dynamo: DynamoDBClient): ServiceAccountStore {
  return createServiceAccountStore(dynamo, ownerTableName(config.tableName));
}

export function auditLogFor(config: IssuerConfig, dynamo: DynamoDBClient): AuditLog {
  return createAuditLog(dynamo, auditTableName(config));
}

/** The signing keys: `PATGATE_SIGNING_KEYS`, or generated in the data dir. */
export function signingKeysFor(config: IssuerConfig): Promise<SigningKeys> {
  return loadSigningKeys({
    ...config.signingKeysFile,
    algorithm: config.signingAlgorithm,
    jwtTtlSeconds: config.jwtTtlSeconds,
  });
}

/** A fail-fast Redis command connection (errors are reported by readiness, not thrown), when Redis is configured. */
export function openRedisConnection(
  config: IssuerConfig,
  extra: { readonly enableAutoPipelining?: boolean } = {},
): RedisConnection | undefined {
  const target = redisTarget(config);
  if (!target) return undefined;
  const connection = openRedis(target, { ...commandConnectionOptions(), ...extra });
  connection.on("error", () => {});
  return connection;
}

/** What runs where: the switches of a process's webhooks and revocation. */
export interface RedisRoles {
  /** Follow the deny-list stream (an issuer does). */
  readonly follow: boolean;
  /** Run the revocation and webhook workers here. */
  readonly worker: boolean;
  /** Sweep the outbox and the delivery table for what Redis missed. */
  readonly sweeper: boolean;
}

/** Revocation's write side and feed: in process, or through Redis with the process's roles. */
export function revocationFor(
  config: IssuerConfig,
  dynamo: DynamoDBClient,
  parts: {
    readonly store: TokenStore;
    readonly webhooks: Webhooks;
    /** Where events go; default the webhooks' sink (the server adds the transmitter: `ssf.alongside`). */
    readonly events?: EventSink;
    readonly redis: RedisConnection | undefined;
    readonly roles: RedisRoles;
    readonly hooks?: Pick<RedisRevocationOptions, "onPending" | "onFailed" | "onPropagated" | "onRestored">;
  },
): Promise<Revocation> {
  const { store, webhooks, redis, roles, hooks = {} } = parts;
  const statusIndexes = statusIndexesFor(config, dynamo);
  return createRevocation({
    ...(statusIndexes ? { statusIndexes } : {}),
    store,
    outbox: createOutbox(dynamo, outboxTableName(config.tableName)),
    events: parts.events ?? webhooks.sink,
    jwtTtlSeconds: config.jwtTtlSeconds,
    stateMaxAgeSeconds: config.stateMaxAgeSeconds,
    ...(redis ? { redis: { connection: redis, keys: config.redisKeys, ...roles, ...hooks } } : {}),
  });
}

/** Expiry warnings and, with `PATGATE_REVOKE_UNUSED_AFTER`, unused-token revocation. */
export function lifecycleFor(
  config: IssuerConfig,
  dynamo: DynamoDBClient,
  parts: {
    readonly store: TokenStore;
    readonly webhooks: Webhooks;
    readonly revocation: Revocation;
    readonly auditLog: AuditLog;
    readonly redis: RedisConnection | undefined;
    readonly onError?: (error: unknown, task: string) => void;
  },
): LifecycleScheduler {
  const { store, revocation, auditLog, redis, onError } = parts;
  // The revocation's sink: the webhooks', and the transmitter where there is one.
  const events = revocation.events;
  // The policy's revocations are not an admin's: the service does not count them (nor serve metrics here).
  const tokens = createTokenService({
    store,
    tokenChanges: revocation.changes,
    audit: auditLog,
    events,
  });
  return startLifecycle({
    client: dynamo,
    tableName: config.tableName,
    events,
    ...(onError ? { onError } : {}),
    ...(redis ? { redis: { connection: redis, keys: config.redisKeys } } : {}),
    ...(config.revokeUnusedAfterSeconds ? { unused: { afterSeconds: config.revokeUnusedAfterSeconds, tokens } } : {}),
  });
}
