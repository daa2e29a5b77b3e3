import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { redactTokens } from "@patgate/shared";
import { decodeCursor, encodeCursor, ensureTable } from "../dynamo/dynamo-helpers.js";
import { invalid } from "../tokens/errors.js";
import type { AuditEvent, AuditSink } from "./audit-event.js";

/** How long audit lines are kept (DynamoDB TTL), in seconds: 400 days. */
export const AUDIT_RETENTION_SECONDS = 400 * 86_400;
/** Partition of events that name no valid token id (e.g. a garbage subject token). */
const NO_TOKEN = "-";
const SECRET_FIELDS = /token|secret|password|authorization|phc/i;
/** The index of the global trail: partition `day` (UTC `YYYY-MM-DD`), sort `sk`. */
export const DAY_INDEX = "day-index";

/** The UTC day of an epoch-seconds time, `YYYY-MM-DD`. */
function dayOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

/** Which lines of the global trail to read. */
export interface AuditQuery {
  readonly limit: number;
  readonly cursor?: string;
  /** Only lines at or after this time (epoch seconds); at most the retention period back. */
  readonly since?: number;
  /** Only lines by this actor (e.g. `root (AbC…)`, `github`). */
  readonly actor?: string;
  /** Only this action (e.g. `owner.revoke`, `jwt.deny`, `keys.rotate`). */
  readonly action?: string;
}

/** The audit trail in DynamoDB: an {@link AuditSink} that writes, and readers by token and for everything. */
export interface AuditLog extends AuditSink {
  list(
    tokenId: string,
    options: { readonly limit: number; readonly cursor?: string },
  ): Promise<{ items: AuditEvent[]; nextCursor?: string }>;
  /** Every line, newest first, through the day index: never a table scan. */
  listAll(query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor?: string }>;
  /** Resolves once every write started so far has finished (tests, shutdown). */
  flush(): Promise<void>;
  /** Writes that failed (the request they belonged to still succeeded). */
  readonly failedWrites: number;
}

/** Creates the audit table: partition key `tokenId`, sort key `sk` (time, then a random suffix), TTL on `expiresAt`. */
export async function createAuditTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await ensureTable(
    client,
    {
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "tokenId", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
        { AttributeName: "day", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "tokenId", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      // The global trail: one partition per UTC day, read newest day first.
      GlobalSecondaryIndexes: [
        {
          IndexName: DAY_INDEX,
          KeySchema: [
            { AttributeName: "day", KeyType: "HASH" },
            { AttributeName: "sk", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    },
    "expiresAt",
  );
}

/** Removes anything that could be a secret before a line is stored: PAT-shaped text and secret-named fields. */
export function scrubDetails(details: AuditEvent["details"]): AuditEvent["details"] {
  if (!details) return undefined;
  const clean: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(details)) {
    if (SECRET_FIELDS.test(key)) continue;
    clean[key] = typeof value === "string" ? redactTokens(value).slice(0, 500) : value;
  }
  return clean;
}

function tokenCursor(key: Record<string, unknown>): string {
  return encodeCursor([key.tokenId, key.sk]);
}

function tokenPageStart(cursor: string, tokenId: string): Record<string, unknown> | undefined {
  const value = decodeCursor(cursor);
  return value && value[0] === tokenId && typeof value[1] === "string" ? { tokenId, sk: value[1] } : undefined;
}

function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
}

function encodeGlobalCursor(day: string, key: Record<string, unknown>): string {
  return encodeCursor(["all", day, key.tokenId, key.sk]);
}

function decodeGlobalCursor(cursor: string): { day: string; key: Record<string, unknown> } | undefined {
  const value = decodeCursor(cursor);
  if (value && value[0] === "all" && /^\d{4}-\d{2}-\d{2}$/.test(String(value[1])))
    return { day: String(value[1]), key: { tokenId: value[2], sk: value[3], day: value[1] } };
  return undefined;
}

/** The global audit trail, newest first, day by day over the day index, filtered by actor, action and time. */
async function listAllEvents(
  doc: DynamoDBDocumentClient,
  tableName: string,
  { limit, cursor, since, actor, action }: AuditQuery,
): Promise<{ items: AuditEvent[]; nextCursor?: string }> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const oldest = Math.max(since ?? 0, nowSeconds - AUDIT_RETENTION_SECONDS);
  const start = cursor === undefined ? undefined : decodeGlobalCursor(cursor);
  if (cursor !== undefined && !start) throw invalid("cursor", "is not a cursor from a previous page");
  const filters = ["#at >= :since"];
  const names: Record<string, string> = { "#at": "at" };
  const values: Record<string, unknown> = { ":since": oldest };
  if (actor !== undefined) {
    filters.push("actor = :actor");
    values[":actor"] = actor;
  }
  if (action !== undefined) {
    filters.push("#action = :action");
    names["#action"] = "action";
    values[":action"] = action;
  }
  const items: AuditEvent[] = [];
  let day = start?.day ?? dayOf(nowSeconds);
  let exclusiveStart = start?.key;
  // Day by day, newest first, until the page is full or the oldest day is read.
  while (day >= dayOf(oldest)) {
    const result = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: DAY_INDEX,
        KeyConditionExpression: "#day = :day",
        FilterExpression: filters.join(" AND "),
        ExpressionAttributeNames: { ...names, "#day": "day" },
        ExpressionAttributeValues: { ...values, ":day": day },
        ScanIndexForward: false,
        Limit: Math.max(limit - items.length, 25),
        ...(exclusiveStart ? { ExclusiveStartKey: exclusiveStart } : {}),
      }),
    );
    for (const raw of result.Items ?? []) {
      const { sk: _sk, expiresAt: _expiresAt, day: _day, ...event } = raw;
      items.push(event as AuditEvent);
      if (items.length === limit) {
        const last = { tokenId: raw.tokenId, sk: raw.sk, day: raw.day };
        return { items, nextCursor: encodeGlobalCursor(day, last) };
      }
    }
    exclusiveStart = result.LastEvaluatedKey;
    if (!exclusiveStart) day = previousDay(day);
  }
  return { items };
}

export interface AuditLogOptions {
  /** Called when a write fails; the default drops the error (it is counted). */
  readonly onError?: (error: unknown) => void;
}

/**
 * The audit trail of patgate. `record` never throws into the request path: it
 * writes in the background and counts failures.
 */
export function createAuditLog(client: DynamoDBClient, tableName: string, options: AuditLogOptions = {}): AuditLog {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const inFlight = new Set<Promise<void>>();
  let failedWrites = 0;
  let sequence = 0;

  return {
    record(event) {
      const tokenId = event.tokenId && /^[0-9A-Za-z]{21}$/.test(event.tokenId) ? event.tokenId : NO_TOKEN;
      const item = {
        ...event,
        tokenId,
        details: scrubDetails(event.details),
        // Milliseconds and a per-process sequence keep lines of one second in the order they happened.
        day: dayOf(event.at),
        sk: `${String(Date.now()).padStart(15, "0")}#${String(sequence++ % 1_000_000).padStart(6, "0")}#${randomBytes(4).toString("hex")}`,
        expiresAt: event.at + AUDIT_RETENTION_SECONDS,
      };
      const write = doc
        .send(new PutCommand({ TableName: tableName, Item: item }))
        .then(() => undefined)
        .catch((error: unknown) => {
          failedWrites += 1;
          options.onError?.(error);
        })
        .finally(() => inFlight.delete(write));
      inFlight.add(write);
    },

    async list(tokenId, { limit, cursor }) {
      const start = cursor === undefined ? undefined : tokenPageStart(cursor, tokenId);
      if (cursor !== undefined && !start) {
        throw invalid("cursor", "is not a cursor from a previous page");
      }
      const result = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "tokenId = :id",
          ExpressionAttributeValues: { ":id": tokenId },
          ScanIndexForward: false,
          Limit: limit,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const items = (result.Items ?? []).map(({ sk: _sk, expiresAt: _expiresAt, ...event }) => event as AuditEvent);
      return { items, ...(result.LastEvaluatedKey ? { nextCursor: tokenCursor(result.LastEvaluatedKey) } : {}) };
    },

    listAll: (query) => listAllEvents(doc, tableName, query),

    async flush() {
      await Promise.all([...inFlight]);
    },

    get failedWrites() {
      return failedWrites;
    },
  };
}
