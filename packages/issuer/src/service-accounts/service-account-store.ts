import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../dynamo/dynamo-helpers.js";
import { StoreUnavailableError, TokenStoreError } from "../tokens/errors.js";
import { SERVICE_ACCOUNT_PREFIX, type ServiceAccount, ServiceAccountMissingError } from "./service-account.js";

/**
 * Service accounts, kept in the owner table beside each owner's revision:
 * an account is the item of its owner `svc:<name>` with `svc*` attributes.
 * Deleting one removes those attributes and keeps the revision, so marks on
 * the owner stay monotonic if the name is used again.
 */
export interface ServiceAccountStore {
  create(account: Omit<ServiceAccount, "owner" | "updatedAt">): Promise<ServiceAccount>;
  get(name: string): Promise<ServiceAccount | null>;
  /** Every account, by name (the owner table is small: one item per revoked owner or account). */
  list(): Promise<ServiceAccount[]>;
  /** The accounts `person` is a member of. */
  memberOf(person: string): Promise<ServiceAccount[]>;
  setMembers(name: string, members: readonly string[], at: number): Promise<ServiceAccount>;
  /**
   * Marks the account as being deleted, before its PATs are revoked: from
   * then on no PAT is created for it (see `owner-check.ts`). A missing
   * account is a {@link ServiceAccountMissingError}.
   */
  markDeleting(name: string, at: number): Promise<void>;
  /** Removes the account; a missing one is a {@link ServiceAccountMissingError}. */
  remove(name: string): Promise<void>;
}

function accountOf(item: Record<string, unknown> | undefined): ServiceAccount | null {
  if (!item || typeof item.owner !== "string" || typeof item.svcCreatedAt !== "number") return null;
  const members = Array.isArray(item.svcMembers)
    ? item.svcMembers.filter((m): m is string => typeof m === "string")
    : [];
  return {
    name: item.owner.slice(SERVICE_ACCOUNT_PREFIX.length),
    owner: item.owner,
    members,
    ...(typeof item.svcDescription === "string" ? { description: item.svcDescription } : {}),
    createdAt: item.svcCreatedAt,
    updatedAt: typeof item.svcUpdatedAt === "number" ? item.svcUpdatedAt : item.svcCreatedAt,
    createdBy: typeof item.svcCreatedBy === "string" ? item.svcCreatedBy : "",
    ...(item.svcDeleting === true ? { deleting: true } : {}),
  };
}

async function send<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConditionFailure(error)) throw error;
    throw new StoreUnavailableError("the service-account store is unavailable", { cause: error });
  }
}

/** One account's item: its key, and an update that fails with {@link ServiceAccountMissingError} when it is gone. */
function accountItems(doc: DynamoDBDocumentClient, ownerTable: string) {
  const key = (name: string) => ({ owner: `${SERVICE_ACCOUNT_PREFIX}${name}` });
  return {
    key,
    async updateExisting(
      name: string,
      update: string,
      values?: Record<string, unknown>,
    ): Promise<Record<string, unknown> | undefined> {
      try {
        const result = await send(() =>
          doc.send(
            new UpdateCommand({
              TableName: ownerTable,
              Key: key(name),
              UpdateExpression: update,
              ConditionExpression: "attribute_exists(svcCreatedAt)",
              ...(values ? { ExpressionAttributeValues: values } : {}),
              ReturnValues: "ALL_NEW",
            }),
          ),
        );
        return result.Attributes;
      } catch (error) {
        if (isConditionFailure(error)) throw new ServiceAccountMissingError(name);
        throw error;
      }
    },
  };
}

/** Every account item matching `filter`, by name. */
async function scanAccounts(
  doc: DynamoDBDocumentClient,
  ownerTable: string,
  filter: string,
  values: Record<string, unknown>,
): Promise<ServiceAccount[]> {
  const found: ServiceAccount[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await send(() =>
      doc.send(
        new ScanCommand({
          TableName: ownerTable,
          FilterExpression: filter,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      ),
    );
    for (const item of page.Items ?? []) {
      const account = accountOf(item);
      if (account) found.push(account);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

export function createServiceAccountStore(client: DynamoDBClient, ownerTable: string): ServiceAccountStore {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const { key, updateExisting } = accountItems(doc, ownerTable);
  const scan = (filter: string, values: Record<string, unknown>) => scanAccounts(doc, ownerTable, filter, values);

  async function get(name: string): Promise<ServiceAccount | null> {
    const result = await send(() =>
      doc.send(new GetCommand({ TableName: ownerTable, Key: key(name), ConsistentRead: true })),
    );
    return accountOf(result.Item);
  }

  return {
    async create(account) {
      try {
        await send(() =>
          doc.send(
            new UpdateCommand({
              TableName: ownerTable,
              Key: key(account.name),
              UpdateExpression:
                "SET svcMembers = :members, svcCreatedAt = :at, svcUpdatedAt = :at, svcCreatedBy = :by" +
                (account.description ? ", svcDescription = :description" : ""),
              ConditionExpression: "attribute_not_exists(svcCreatedAt)",
              ExpressionAttributeValues: {
                ":members": [...account.members],
                ":at": account.createdAt,
                ":by": account.createdBy,
                ...(account.description ? { ":description": account.description } : {}),
              },
            }),
          ),
        );
      } catch (error) {
        if (isConditionFailure(error))
          throw new TokenStoreError("conflict", `service account ${account.name} already exists`, "name");
        throw error;
      }
      return (await get(account.name)) as ServiceAccount;
    },
    get,
    list: () => scan("attribute_exists(svcCreatedAt)", {}),
    memberOf: (person) =>
      scan("attribute_exists(svcCreatedAt) AND contains(svcMembers, :person)", { ":person": person }),
    async setMembers(name, members, at) {
      const item = await updateExisting(name, "SET svcMembers = :members, svcUpdatedAt = :at", {
        ":members": [...members],
        ":at": at,
      });
      return accountOf(item) as ServiceAccount;
    },
    async markDeleting(name, at) {
      await updateExisting(name, "SET svcDeleting = :yes, svcUpdatedAt = :at", { ":yes": true, ":at": at });
    },
    async remove(name) {
      await updateExisting(
        name,
        "REMOVE svcMembers, svcCreatedAt, svcUpdatedAt, svcCreatedBy, svcDescription, svcDeleting",
      );
    },
  };
}
