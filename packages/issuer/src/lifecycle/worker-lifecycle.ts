import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DEFAULT_SCRYPT_PARAMS, type RedisKeys } from "@patgate/shared";
import { createAuditLog } from "../audit/audit-log.js";
import type { IssuerConfig } from "../config.js";
import { auditTableName } from "../dependencies.js";
import type { RedisConnection } from "../redis/connection.js";
import { createOutbox, outboxTableName } from "../revocation/outbox.js";
import { createRevocation, type Revocation } from "../revocation/revocation.js";
import { stateMaxAgeSeconds } from "../tokens/exchange-pat.js";
import { createTokenStore } from "../tokens/index.js";
import { createWebhookDeliveries, webhookTableName } from "../webhooks/webhook-deliveries.js";
import { createWebhooks } from "../webhooks/webhooks.js";
import { startLifecycle } from "./lifecycle.js";

/** What `patgate worker` runs for the token lifecycle, beside the revocation worker. */
export interface WorkerLifecycle {
  close(): Promise<void>;
}

/**
 * The lifecycle side of `patgate worker`: the webhook delivery worker and its
 * sweeper, and the lifecycle scheduler (expiry warnings; with
 * `PATGATE_REVOKE_UNUSED_AFTER`, unused-token revocation through a revoker of
 * its own, on the same outbox and queue as the issuers').
 */
export async function startWorkerLifecycle(
  config: IssuerConfig,
  parts: { readonly redis: RedisConnection; readonly keys: RedisKeys; readonly dynamo: DynamoDBClient },
): Promise<WorkerLifecycle> {
  const { redis, keys, dynamo } = parts;
  const webhooks = createWebhooks({
    deliveries: createWebhookDeliveries(dynamo, webhookTableName(config.tableName)),
    ...(config.webhook ? { webhook: config.webhook } : {}),
    redis: { connection: redis, keys, worker: true },
  });
  let revocation: Revocation | undefined;
  const audit = createAuditLog(dynamo, auditTableName(config));
  if (config.revokeUnusedAfterSeconds) {
    revocation = await createRevocation({
      store: createTokenStore(dynamo, {
        tableName: config.tableName,
        tokenPrefix: config.tokenPrefix,
        scrypt: DEFAULT_SCRYPT_PARAMS,
      }),
      outbox: createOutbox(dynamo, outboxTableName(config.tableName)),
      jwtTtlSeconds: config.jwtTtlSeconds,
      stateMaxAgeSeconds: stateMaxAgeSeconds(config.patCacheTtlSeconds),
      events: webhooks.sink,
      // The worker process runs the revocation worker and the sweeper already.
      redis: { connection: redis, keys, follow: false, sweeper: false, worker: false },
    });
  }
  const lifecycle = startLifecycle({
    client: dynamo,
    tableName: config.tableName,
    events: webhooks.sink,
    redis: { connection: redis, keys },
    ...(config.revokeUnusedAfterSeconds && revocation
      ? { unused: { afterSeconds: config.revokeUnusedAfterSeconds, revoker: revocation.revoker, audit } }
      : {}),
  });
  return {
    async close() {
      await lifecycle.close();
      await audit.flush();
      await revocation?.close();
      await webhooks.close();
    },
  };
}
