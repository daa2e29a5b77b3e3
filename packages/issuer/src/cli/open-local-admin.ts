import { join } from "node:path";
import { DEFAULT_SCRYPT_PARAMS, redisKeys } from "@patgate/shared";
import { Redis } from "ioredis";
import type { IssuerConfig } from "../config.js";
import { createTables, dynamoClient } from "../dependencies.js";
import { startLocalDynamo } from "../embedded/local-dynamo.js";
import { loadSigningKeys } from "../jwt/signing-keys.js";
import { createInProcessBus } from "../revocation/bus.js";
import { createOutbox, outboxTableName } from "../revocation/outbox.js";
import { createInProcessPropagator } from "../revocation/propagator.js";
import { createRevocationQueue } from "../revocation/queue.js";
import { createRedisPropagator } from "../revocation/redis-propagator.js";
import { createRevoker } from "../revocation/revoker.js";
import { createTokenStore } from "../tokens/index.js";
import { createLocalTokenAdmin } from "./local-token-admin.js";
import type { TokenAdmin } from "./token-admin.js";

/**
 * Opens the configured store for the CLI. In the embedded default, no issuer
 * is running (it would hold the store's files), so nobody needs to hear about
 * revocations: the next start reads them from the store.
 */
export async function openLocalAdmin(config: IssuerConfig): Promise<TokenAdmin> {
  const local = config.embedded ? await startLocalDynamo(config.dataDir) : undefined;
  const client = dynamoClient(config, local?.endpoint);
  if (local) await createTables(client, config);
  const store = createTokenStore(client, {
    tableName: config.tableName,
    tokenPrefix: config.tokenPrefix,
    scrypt: DEFAULT_SCRYPT_PARAMS,
  });
  // With Redis, revocations made here go through the outbox and the queue like the API's;
  // otherwise nothing is listening (an embedded issuer holding the store would have been used instead).
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : undefined;
  redis?.on("error", () => {});
  const queue = redis ? createRevocationQueue(redis, redisKeys(config.redisPrefix)) : undefined;
  const propagator = queue
    ? createRedisPropagator({ outbox: createOutbox(client, outboxTableName(config.tableName)), queue })
    : createInProcessPropagator(createInProcessBus());
  const revoker = createRevoker({ store, propagator, jwtTtlSeconds: config.jwtTtlSeconds });
  return createLocalTokenAdmin({
    store,
    revoker,
    keys: () =>
      loadSigningKeys({
        path: config.signingKeysPath ?? join(config.dataDir, "signing-keys.json"),
        generate: config.signingKeysPath === undefined,
        algorithm: config.signingAlgorithm,
        jwtTtlSeconds: config.jwtTtlSeconds,
      }),
    async close() {
      await queue?.close();
      redis?.disconnect();
      client.destroy();
      await local?.close();
    },
  });
}
