import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { RedisKeys } from "@patgate/shared";
import type { Redis } from "ioredis";
import type { IssuerConfig } from "../config.js";
import { createWebhookDeliveries, webhookTableName } from "../webhooks/webhook-deliveries.js";
import { createWebhooks } from "../webhooks/webhooks.js";
import { startLifecycle } from "./lifecycle.js";

/** What `patgate worker` runs for the token lifecycle, beside the revocation worker. */
export interface WorkerLifecycle {
  close(): Promise<void>;
}

/**
 * The lifecycle side of `patgate worker`: the webhook delivery worker and its
 * sweeper, and the lifecycle scheduler (expiry warnings).
 */
export async function startWorkerLifecycle(
  config: IssuerConfig,
  parts: { readonly redis: Redis; readonly keys: RedisKeys; readonly dynamo: DynamoDBClient },
): Promise<WorkerLifecycle> {
  const { redis, keys, dynamo } = parts;
  const webhooks = createWebhooks({
    deliveries: createWebhookDeliveries(dynamo, webhookTableName(config.tableName)),
    ...(config.webhook ? { webhook: config.webhook } : {}),
    redis: { connection: redis, keys, worker: true },
  });
  const lifecycle = startLifecycle({
    client: dynamo,
    tableName: config.tableName,
    events: webhooks.sink,
    redis: { connection: redis, keys },
  });
  return {
    async close() {
      await lifecycle.close();
      await webhooks.close();
    },
  };
}
