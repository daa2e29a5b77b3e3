import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { getListFromStatusListJWT } from "@sd-jwt/jwt-status-list";
import { createLocalJWKSet, decodeJwt, type JWTPayload, jwtVerify } from "jose";
import { FAST_SCRYPT, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { loadSigningKeys, type SigningKeys } from "../../src/jwt/signing-keys.js";
import { createMemoryOutbox } from "../../src/revocation/outbox.js";
import { createRevocation } from "../../src/revocation/revocation.js";
import {
  createStatusList,
  createStatusTable,
  openStatusIndexes,
  type StatusList,
  statusTableName,
} from "../../src/status-list/status-list.js";
import { createTokenStore, createTokenTable } from "../../src/tokens/index.js";
import { ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";

/** A token table and its status table on the shared dynalite. */
export async function statusTables(): Promise<{ client: DynamoDBClient; tableName: string }> {
  const client = testDynamoClient();
  const tableName = uniqueName("tokens");
  await createTokenTable(client, tableName);
  await createStatusTable(client, statusTableName(tableName));
  return { client, tableName };
}

export async function testKeys(): Promise<SigningKeys> {
  const dir = await mkdtemp(join(tmpdir(), "patgate-status-"));
  return loadSigningKeys({ path: join(dir, "keys.json"), generate: true, jwtTtlSeconds: 300, publishDelaySeconds: 0 });
}

/** The issuer app with the status list on, over `tables` (fresh ones by default); lists re-read on every request. */
export async function statusIssuer(
  tables?: { client: DynamoDBClient; tableName: string },
  options: { readonly keys?: SigningKeys; readonly ttl?: number } = {},
): Promise<TestIssuer & { statusList: StatusList; tables: { client: DynamoDBClient; tableName: string } }> {
  const { client, tableName } = tables ?? (await statusTables());
  const indexes = openStatusIndexes(client, tableName);
  const store = createTokenStore(client, {
    tableName,
    scrypt: FAST_SCRYPT,
    allocateStatusIndex: indexes.bits.allocate,
  });
  const keys = options.keys ?? (await testKeys());
  const ttlSeconds = options.ttl ?? 2;
  const revocation = await createRevocation({
    store,
    outbox: createMemoryOutbox(),
    jwtTtlSeconds: 300,
    stateMaxAgeSeconds: 30,
    statusIndexes: indexes,
  });
  const statusList = createStatusList(indexes, { keys, issuer: ISSUER, ttlSeconds, checkEveryMs: 0 });
  const issuer = await testIssuer(
    { PATGATE_STATUS_LIST: "on", PATGATE_STATUS_LIST_TTL: String(ttlSeconds) },
    { store, revocation, keys, statusList },
  );
  return { ...issuer, statusList, tables: { client, tableName } };
}

/** The `status.status_list` claim of a JWT. */
export function statusOf(jwt: string): { idx: number; uri: string } {
  const claim = (decodeJwt(jwt) as JWTPayload & { status?: { status_list?: { idx: number; uri: string } } }).status;
  if (!claim?.status_list) throw new Error("no status claim");
  return claim.status_list;
}

/**
 * Fetches the list a JWT points at from `issuer`, verifies it with jose
 * against the served JWKS, decodes it with @sd-jwt/jwt-status-list and returns
 * the JWT's status (0 VALID, 1 INVALID).
 */
export async function statusFromList(issuer: TestIssuer, jwt: string): Promise<number> {
  const { idx, uri } = statusOf(jwt);
  const response = await issuer.app.inject({ url: new URL(uri).pathname });
  if (response.statusCode !== 200) throw new Error(`list: ${response.statusCode} ${response.body}`);
  const jwks = (await issuer.app.inject({ url: "/.well-known/jwks.json" })).json();
  const { payload } = await jwtVerify(response.body, createLocalJWKSet(jwks), { typ: "statuslist+jwt", subject: uri });
  if (typeof payload.ttl !== "number" || typeof payload.exp !== "number") throw new Error("no ttl or exp");
  return getListFromStatusListJWT(response.body).getStatus(idx);
}
