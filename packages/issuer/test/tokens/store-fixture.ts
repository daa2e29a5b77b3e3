import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { FAST_SCRYPT, testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { createTokenStore, createTokenTable, type TokenStoreInternals } from "../../src/tokens/index.js";
import type { TokenStore, TokenStoreOptions } from "../../src/tokens/types.js";

/** A fresh table on the shared dynalite, and a store on it with cheap scrypt. */
export async function freshStore(
  options: Partial<TokenStoreOptions> = {},
  internals: TokenStoreInternals = {},
): Promise<{ store: TokenStore; client: DynamoDBClient; tableName: string }> {
  const client = testDynamoClient();
  const tableName = uniqueName("tokens");
  await createTokenTable(client, tableName);
  const store = createTokenStore(client, { tableName, scrypt: FAST_SCRYPT, ...options }, internals);
  return { store, client, tableName };
}
