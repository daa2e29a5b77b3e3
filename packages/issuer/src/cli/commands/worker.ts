import type { IssuerConfig } from "../../config.js";
import { ssfFor, webhooksFor } from "../../delivery-parts.js";
import {
  auditLogFor,
  lifecycleFor,
  openRedisConnection,
  openStorage,
  revocationFor,
  signingKeysFor,
  tokenStoreFor,
} from "../../dependencies.js";
import { CliError } from "../cli-error.js";
import { tellIfPastEndOfLife } from "../node-support.js";
import type { CliIO } from "../output.js";

/**
 * `patgate worker`: the revocation worker on its own (run issuers with
 * PATGATE_WORKER=off), from the same parts as the issuer (`dependencies.ts`).
 * Also sweeps the outbox, delivers token lifecycle webhooks, and runs the
 * lifecycle scheduler (expiry warnings; with `PATGATE_REVOKE_UNUSED_AFTER`,
 * unused-token revocation). Stops on SIGTERM / SIGINT.
 */
export async function runWorker(config: IssuerConfig, io: CliIO): Promise<void> {
  const redis = openRedisConnection(config);
  if (!redis) throw new CliError("patgate worker needs REDIS_URL or REDIS_CLUSTER_NODES", 2);
  if (config.embedded) {
    redis.disconnect();
    throw new CliError("patgate worker needs DYNAMODB_ENDPOINT or AWS configuration (the outbox lives in DynamoDB)", 2);
  }
  tellIfPastEndOfLife(io);
  const storage = await openStorage(config, "none");
  const { dynamo } = storage;
  const store = tokenStoreFor(config, dynamo);
  const auditLog = auditLogFor(config, dynamo);
  // It follows no stream: it answers no exchange.
  const roles = { follow: false, worker: true, sweeper: true };
  const webhooks = webhooksFor(config, dynamo, { redis, roles });
  // Pushes SETs, and signs those of the lifecycle's changes (expiry): the keys file is the issuers'.
  const ssf = await ssfFor(config, dynamo, { keys: await signingKeysFor(config), redis, roles });
  const revocation = await revocationFor(config, dynamo, {
    store,
    webhooks,
    events: ssf.alongside(webhooks.sink),
    redis,
    roles,
    hooks: {
      onRestored: (count) => {
        if (count > 0) io.err(`patgate: Redis had lost the deny-list; ${count} revocations in force written again`);
      },
    },
  });
  const lifecycle = lifecycleFor(config, dynamo, { store, webhooks, revocation, auditLog, redis });
  io.err("patgate: revocation worker running");
  const stop = async () => {
    await lifecycle.close();
    await auditLog.flush();
    await revocation.close();
    await webhooks.close();
    await ssf.close();
    redis.disconnect();
    await storage.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
}
