import { join } from "node:path";
import { DEFAULT_SCRYPT_PARAMS, redisKeys } from "@patgate/shared";
import { createAuditLog } from "../audit/audit-log.js";
import type { IssuerConfig } from "../config.js";
import { auditTableName, createTables, dynamoClient } from "../dependencies.js";
import { startLocalDynamo } from "../embedded/local-dynamo.js";
import { loadSigningKeys } from "../jwt/signing-keys.js";
import { openRedis, redisTarget } from "../redis/connection.js";
import { commandConnectionOptions } from "../redis/connection-options.js";
import { createOutbox, outboxTableName } from "../revocation/outbox.js";
import { createRevocation } from "../revocation/revocation.js";
import { createTokenService } from "../token-service/token-service.js";
import { stateMaxAgeSeconds } from "../tokens/exchange-pat.js";
import { createTokenStore } from "../tokens/index.js";
import { createWebhookDeliveries, webhookTableName } from "../webhooks/webhook-deliveries.js";
import { createWebhooks } from "../webhooks/webhooks.js";
import { createLocalTokenAdmin } from "./local-token-admin.js";
import type { TokenAdmin } from "./token-admin.js";

/**
 * Opens the configured store for the CLI, with the same revocation path as
 * the issuer (`createRevocation`).
 */
export async function openLocalAdmin(config: IssuerConfig): Promise<TokenAdmin> {
  const local = config.embedded ? await startLocalDynamo(config.dataDir) : undefined;
  const client = dynamoClient(config, local);
  if (local) await createTables(client, config);
  const store = createTokenStore(client, {
    tableName: config.tableName,
    tokenPrefix: config.tokenPrefix,
    scrypt: DEFAULT_SCRYPT_PARAMS,
    ...(config.maxTokenLifetimeSeconds === undefined ? {} : { maxLifetimeSeconds: config.maxTokenLifetimeSeconds }),
  });
  // With Redis, revocations made here go through the outbox and the queue like the API's.
  // Embedded, no issuer is running (it would hold the store's files): the outbox keeps
  // them on disk and the next start loads those still in force.
  const target = redisTarget(config);
  const redis = target ? openRedis(target, commandConnectionOptions()) : undefined;
  redis?.on("error", () => {});
  const keyNames = redisKeys(config.redisPrefix);
  // Events are recorded (and with Redis enqueued) here, delivered by the worker or the next issuer start.
  const webhooks = createWebhooks({
    deliveries: createWebhookDeliveries(client, webhookTableName(config.tableName)),
    ...(config.webhook ? { webhook: config.webhook } : {}),
    ...(redis ? { redis: { connection: redis, keys: keyNames, sweeper: false } } : {}),
    deliver: false,
  });
  const revocation = await createRevocation({
    store,
    outbox: createOutbox(client, outboxTableName(config.tableName)),
    events: webhooks.sink,
    jwtTtlSeconds: config.jwtTtlSeconds,
    stateMaxAgeSeconds: stateMaxAgeSeconds(config.patCacheTtlSeconds),
    ...(redis ? { redis: { connection: redis, keys: keyNames, follow: false, sweeper: false } } : {}),
  });
  return createLocalTokenAdmin({
    store,
    // No audit trail: the CLI on the store has written none so far (`patgate audit` lists the issuer's).
    tokenService: createTokenService({ store, revoker: revocation.revoker, events: webhooks.sink }),
    auditLog: createAuditLog(client, auditTableName(config)),
    keys: () =>
      loadSigningKeys({
        path: config.signingKeysPath ?? join(config.dataDir, "signing-keys.json"),
        generate: config.signingKeysPath === undefined,
        algorithm: config.signingAlgorithm,
        jwtTtlSeconds: config.jwtTtlSeconds,
      }),
    async close() {
      await revocation.close();
      await webhooks.close();
      redis?.disconnect();
      client.destroy();
      await local?.close();
    },
  });
}
