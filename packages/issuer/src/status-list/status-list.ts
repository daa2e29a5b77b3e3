import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { TokenRecord } from "../tokens/types.js";
import { createBitStore } from "./bit-store.js";
import { createListPublisher, type ListPublisher, type StatusClaim } from "./list-publisher.js";
import { createStatusIndexes, type StatusIndexes } from "./status-indexes.js";
import { statusTableName } from "./status-table.js";

export type { PublishedList, StatusClaim } from "./list-publisher.js";
export type { StatusIndexes } from "./status-indexes.js";
export { createStatusTable, statusTableName } from "./status-table.js";

/** The Token Status List of an issuer: the indexes of PAT revisions and the lists it serves. */
export interface StatusList {
  readonly indexes: StatusIndexes;
  readonly publisher: ListPublisher;
  /** The `status` claim of a JWT minted from `record`: synchronous when the record has its index. */
  claimFor(record: TokenRecord): StatusClaim | Promise<StatusClaim>;
}

/** The status indexes over the status table beside `tokenTable` (what the token store and the changes need). */
export function openStatusIndexes(client: DynamoDBClient, tokenTable: string): StatusIndexes {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return createStatusIndexes(doc, tokenTable, createBitStore(doc, statusTableName(tokenTable)));
}

/** The whole part: indexes, and the publisher that signs lists with the issuer's keys. */
export function createStatusList(
  indexes: StatusIndexes,
  options: {
    readonly keys: SigningKeys;
    readonly issuer: string;
    readonly ttlSeconds: number;
    readonly now?: () => number;
    readonly checkEveryMs?: number;
  },
): StatusList {
  const publisher = createListPublisher({ bits: indexes.bits, ...options });
  return {
    indexes,
    publisher,
    claimFor(record) {
      const index = indexes.assigned(record);
      return typeof index === "number" ? publisher.claimFor(index) : index.then((i) => publisher.claimFor(i));
    },
  };
}
