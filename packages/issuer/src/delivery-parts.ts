import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { IssuerConfig } from "./config.js";
import type { RedisRoles } from "./dependencies.js";
import type { SigningKeys } from "./jwt/signing-keys.js";
import type { RedisConnection } from "./redis/connection.js";
import { createSsf, type Ssf, type SsfOptions } from "./ssf/ssf.js";
import { loadSetKeys } from "./ssf/ssf-keys.js";
import { createWebhookDeliveries, webhookTableName } from "./webhooks/webhook-deliveries.js";
import { createWebhooks, type Webhooks, type WebhooksOptions } from "./webhooks/webhooks.js";

// Part of the composition root (see dependencies.ts): what delivers to
// receivers outside, token-lifecycle webhooks and Shared Signals pushes, on
// one durable machinery.

/** Token lifecycle webhooks: the delivery table, and BullMQ with Redis. */
export function webhooksFor(
  config: IssuerConfig,
  dynamo: DynamoDBClient,
  parts: {
    readonly redis: RedisConnection | undefined;
    readonly roles: Pick<RedisRoles, "worker" | "sweeper">;
    /** Embedded: deliver from this process (the CLI only records). */
    readonly deliver?: boolean;
    readonly hooks?: Pick<WebhooksOptions, "onDelivered" | "onFailed" | "onPending" | "onError">;
  },
): Webhooks {
  const { redis, roles, deliver, hooks = {} } = parts;
  return createWebhooks({
    deliveries: createWebhookDeliveries(dynamo, webhookTableName(config.tableName)),
    ...(config.webhook ? { webhook: config.webhook } : {}),
    ...(redis
      ? {
          redis: {
            connection: redis,
            keys: config.redisKeys,
            worker: roles.worker,
            ...(roles.sweeper ? {} : { sweeper: false }),
          },
        }
      : {}),
    ...(deliver === false ? { deliver: false } : {}),
    ...hooks,
  });
}

/**
 * The Shared Signals transmitter: streams and SET queue in DynamoDB, pushes on
 * the webhooks' machinery (BullMQ with Redis, run where the webhook worker
 * runs), SETs signed with the SET keys (published beside `keys`).
 */
export async function ssfFor(
  config: IssuerConfig,
  dynamo: DynamoDBClient,
  parts: {
    readonly keys: SigningKeys;
    readonly redis: RedisConnection | undefined;
    readonly roles: Pick<RedisRoles, "worker" | "sweeper">;
    readonly deliver?: boolean;
    readonly hooks?: Pick<SsfOptions, "onDelivered" | "onFailed" | "onSet" | "onDropped" | "onError">;
    readonly onPending?: (count: number) => void;
  },
): Promise<Ssf> {
  const { redis, roles, hooks = {} } = parts;
  return createSsf({
    dynamo,
    tableName: config.tableName,
    issuer: config.issuer,
    config: config.ssf,
    keys: await loadSetKeys(config, parts.keys),
    push: {
      ...(redis
        ? { redis: { connection: redis, keys: config.redisKeys, worker: roles.worker, sweeper: roles.sweeper } }
        : {}),
      ...(parts.deliver === false ? { deliver: false } : {}),
      ...(parts.onPending ? { onPending: parts.onPending } : {}),
    },
    ...hooks,
  });
}
