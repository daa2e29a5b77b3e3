import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";

/**
 * What every DynamoDB table of patgate shares: how a table is made, how a
 * page cursor is written, and what a failed condition means.
 */

/**
 * Creates a table if it is missing and waits until it is ACTIVE; with
 * `ttlAttribute`, turns TTL on. An existing table is left as it is. Returns
 * whether this call created it. The one way every patgate table is made.
 */
export async function ensureTable(
  client: DynamoDBClient,
  input: CreateTableCommandInput & { readonly TableName: string },
  ttlAttribute?: string,
): Promise<boolean> {
  let created = false;
  try {
    await client.send(new CreateTableCommand(input));
    created = true;
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: input.TableName });
  if (ttlAttribute !== undefined) await enableTtl(client, input.TableName, ttlAttribute);
  return created;
}

/** Turns on TTL; emulators that lack the API (dynalite) or a table that already has it are fine. */
export async function enableTtl(client: DynamoDBClient, tableName: string, attribute: string): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch {
    // dynalite has no UpdateTimeToLive, and DynamoDB refuses to enable TTL twice:
    // neither changes what the table can do, so start-up goes on.
  }
}

/** Resolves when the table answers DescribeTable. */
export async function describeTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DescribeTableCommand({ TableName: tableName }));
}

/** Whether a write failed because its condition did not hold (not an outage, not a bad request). */
export function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

/** Runs a conditional write: true when it was made, false when its condition did not hold; other errors throw. */
export async function conditionHeld(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Encodes the key a page resumes after as an opaque cursor: base64url of a
 * JSON array of its parts. The one cursor codec of every listing.
 */
export function encodeCursor(parts: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString("base64url");
}

/** The parts of a cursor from {@link encodeCursor}; undefined for anything else (each listing checks their shape). */
export function decodeCursor(cursor: string): unknown[] | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
