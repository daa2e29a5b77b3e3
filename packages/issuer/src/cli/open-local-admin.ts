import type { IssuerConfig } from "../config.js";
import { webhooksFor } from "../delivery-parts.js";
import {
  auditLogFor,
  openRedisConnection,
  openStorage,
  revocationFor,
  serviceAccountsFor,
  signingKeysFor,
  tokenStoreFor,
} from "../dependencies.js";
import { createTokenService } from "../token-service/token-service.js";
import { createLocalTokenAdmin } from "./local-token-admin.js";
import type { TokenAdmin } from "./token-admin.js";

/**
 * Opens the configured store for the CLI, from the same parts as the issuer
 * (`dependencies.ts`): with Redis, revocations made here go through the
 * outbox and the queue like the API's, and events are recorded and enqueued,
 * delivered by the worker. Embedded, no issuer is running (it would hold the
 * store's files): the outbox keeps revocations on disk and the next start
 * loads those still in force; the next issuer start delivers the events.
 */
export async function openLocalAdmin(config: IssuerConfig): Promise<TokenAdmin> {
  const storage = await openStorage(config, "embedded");
  const { dynamo } = storage;
  const store = tokenStoreFor(config, dynamo);
  const serviceAccounts = serviceAccountsFor(config, dynamo);
  const redis = openRedisConnection(config);
  const roles = { follow: false, worker: false, sweeper: false };
  const webhooks = webhooksFor(config, dynamo, { redis, roles, deliver: false });
  const revocation = await revocationFor(config, dynamo, { store, webhooks, redis, roles });
  return createLocalTokenAdmin({
    store,
    // No audit trail: the CLI on the store has written none so far (`patgate audit` lists the issuer's).
    tokenService: createTokenService({
      store,
      tokenChanges: revocation.changes,
      events: webhooks.sink,
      serviceAccounts,
    }),
    serviceAccounts,
    auditLog: auditLogFor(config, dynamo),
    keys: () => signingKeysFor(config),
    async close() {
      await revocation.close();
      await webhooks.close();
      redis?.disconnect();
      await storage.close();
    },
  });
}
