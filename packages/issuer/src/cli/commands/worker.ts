import { redisKeys } from "@patgate/shared";
import type { IssuerConfig } from "../../config.js";
import { dynamoClient } from "../../dependencies.js";
import { startWorkerLifecycle } from "../../lifecycle/worker-lifecycle.js";
import { openRedis, redisTarget } from "../../redis/connection.js";
import { commandConnectionOptions } from "../../redis/connection-options.js";
import { createOutbox, outboxTableName } from "../../revocation/outbox.js";
import { startOutboxSweeper } from "../../revocation/outbox-sweeper.js";
import { createRevocationQueue } from "../../revocation/queue.js";
import { createRevocationWorker } from "../../revocation/worker.js";
import { CliError } from "../cli-error.js";
import { tellIfPastEndOfLife } from "../node-support.js";
import type { CliIO } from "../output.js";

/**
 * `patgate worker`: the revocation worker on its own (run issuers with
 * PATGATE_WORKER=off). Also sweeps the outbox, and delivers token lifecycle
 * webhooks. Stops on SIGTERM / SIGINT.
 */
export async function runWorker(config: IssuerConfig, io: CliIO): Promise<void> {
  const target = redisTarget(config);
  if (!target) throw new CliError("patgate worker needs REDIS_URL or REDIS_CLUSTER_NODES", 2);
  if (config.embedded)
    throw new CliError("patgate worker needs DYNAMODB_ENDPOINT or AWS configuration (the outbox lives in DynamoDB)", 2);
  tellIfPastEndOfLife(io);
  const keys = redisKeys(config.redisPrefix);
  const redis = openRedis(target, commandConnectionOptions());
  redis.on("error", () => {});
  const dynamo = dynamoClient(config);
  const outbox = createOutbox(dynamo, outboxTableName(config.tableName));
  const queue = createRevocationQueue(redis, keys);
  const sweeper = startOutboxSweeper({
    outbox,
    queue,
    redis,
    keys,
    onRestored: (count) => {
      if (count > 0) io.err(`patgate: Redis had lost the deny-list; ${count} revocations in force written again`);
    },
  });
  const worker = createRevocationWorker({ connection: redis, keys, outbox });
  const lifecycle = await startWorkerLifecycle(config, { redis, keys, dynamo });
  io.err("patgate: revocation worker running");
  const stop = async () => {
    sweeper.close();
    await worker.close();
    await lifecycle.close();
    await queue.close();
    redis.disconnect();
    dynamo.destroy();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
}
