import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../dynamo/dynamo-helpers.js";
import { type EventSink, emitSafely, SCHEDULER_ACTOR, tokenEvent } from "../events/token-events.js";
import { hasExpiryWarningIndex } from "../tokens/create-token-table.js";
import {
  dueWarning,
  EXPIRY_STAGES,
  EXPIRY_WARNING_ATTRIBUTES,
  EXPIRY_WARNING_INDEX,
  type ExpiryStage,
  expiryWarningAttributes,
  warnDayOf,
} from "../tokens/expiry-warnings.js";
import { itemToStored } from "../tokens/record.js";

export interface ExpirySweepOptions {
  readonly client: DynamoDBClient;
  /** The token table. */
  readonly tableName: string;
  /** Where `token.expiring` and `token.expired` go. */
  readonly events: EventSink;
  /**
   * How far back a pass looks for warnings that fell due, days: a scheduler
   * stopped for longer misses the warnings due before (the token's TTL has
   * deleted those tokens by then anyway). Default 32.
   */
  readonly lookbackDays?: number;
  /** Current time, epoch ms. Tests pass their own clock. */
  readonly now?: () => number;
}

/** What one pass did. */
export interface ExpirySweepResult {
  /** Tokens found due. */
  readonly due: number;
  /** Warnings this pass claimed and emitted (revoked tokens' warnings are claimed, not emitted). */
  readonly sent: number;
}

/** A due token as the index (or the fallback scan) lists it. */
interface Due {
  readonly tokenId: string;
  readonly warnAt: number;
}

const DAY_SECONDS = 86_400;
const STAGES = new Set<string>(EXPIRY_STAGES.map((s) => s.stage));

/** The tokens whose warning is due, from the sparse warning index: one query per day of `warnDay` looked back over. */
async function* fromIndex(
  doc: DynamoDBDocumentClient,
  tableName: string,
  nowSeconds: number,
  lookbackDays: number,
): AsyncGenerator<Due> {
  const first = Date.parse(warnDayOf(nowSeconds - lookbackDays * DAY_SECONDS)) / 1000;
  for (let day = first; day <= nowSeconds; day += DAY_SECONDS) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: EXPIRY_WARNING_INDEX,
          KeyConditionExpression: "warnDay = :day AND warnAt <= :now",
          ExpressionAttributeValues: { ":day": warnDayOf(day), ":now": nowSeconds },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? [])
        if (typeof item.tokenId === "string" && typeof item.warnAt === "number")
          yield { tokenId: item.tokenId, warnAt: item.warnAt };
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

/** For a table without the index (dynalite cannot add one): the same tokens, by a filtered Scan. */
async function* fromScan(doc: DynamoDBDocumentClient, tableName: string, nowSeconds: number): AsyncGenerator<Due> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: "tokenId, warnAt",
        FilterExpression: "warnAt <= :now",
        ExpressionAttributeValues: { ":now": nowSeconds },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? [])
      if (typeof item.tokenId === "string" && typeof item.warnAt === "number")
        yield { tokenId: item.tokenId, warnAt: item.warnAt };
    start = page.LastEvaluatedKey;
  } while (start);
}

/**
 * Sends the expiry warnings that have fallen due: `token.expiring` 30, 7 and
 * 1 days before (with `daysLeft`), and `token.expired`.
 *
 * Due tokens come from the expiry-warning index, one Query per UTC day of
 * the look-back (a few dozen small reads, whatever the table's size); a
 * table the embedded store could not add the index to is scanned instead.
 * Each due token is read again consistently, and its warning is claimed by a
 * write conditional on the `warnAt` the pass saw, which also moves the token
 * to its next warning: of several workers sweeping at once, exactly one
 * claims each warning, and only the one that claimed it emits it. The event
 * id is derived from the token, its expiry and the threshold, so even a
 * replayed emission is one delivery.
 */
export function createExpirySweep(options: ExpirySweepOptions): { run(): Promise<ExpirySweepResult> } {
  const { client, tableName, events, lookbackDays = 32, now = Date.now } = options;
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  /** Claims the warning due on one token and emits it; true when this pass sent it. */
  async function warn(due: Due, nowSeconds: number): Promise<boolean> {
    const read = await doc.send(
      new GetCommand({ TableName: tableName, Key: { tokenId: due.tokenId }, ConsistentRead: true }),
    );
    const item = read.Item;
    // Gone, or moved on since the index was read (another worker, or a new expiry).
    if (!item || item.warnAt !== due.warnAt || typeof item.expiresAt !== "number") return false;
    const expiresAt = item.expiresAt;
    const stage = dueWarning(
      expiresAt,
      nowSeconds,
      (STAGES.has(item.warnStage) ? item.warnStage : "30d") as ExpiryStage,
    );
    const next = expiryWarningAttributes(expiresAt, nowSeconds, stage);
    try {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { tokenId: due.tokenId },
          UpdateExpression: next
            ? "SET warnAt = :at, warnStage = :stage, warnDay = :day"
            : `REMOVE ${EXPIRY_WARNING_ATTRIBUTES.join(", ")}`,
          // The claim: only the pass that still sees the warning it read moves it on.
          ConditionExpression: "warnAt = :seen AND expiresAt = :exp",
          ExpressionAttributeValues: {
            ":seen": due.warnAt,
            ":exp": expiresAt,
            ...(next ? { ":at": next.warnAt, ":stage": next.warnStage, ":day": next.warnDay } : {}),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    const record = itemToStored(item)?.record;
    // A revoked token's warnings are passed over (a restored one gets those still ahead).
    if (!record || record.isRevoked) return false;
    const at = now();
    const id = `msg_expiry_${record.tokenId}_${expiresAt}_${stage}`;
    await emitSafely(
      events,
      stage === "expired"
        ? tokenEvent("token.expired", record, { actor: SCHEDULER_ACTOR }, at, id)
        : tokenEvent(
            "token.expiring",
            record,
            {
              actor: SCHEDULER_ACTOR,
              threshold: stage,
              daysLeft: Math.max(1, Math.ceil((expiresAt - nowSeconds) / DAY_SECONDS)),
            },
            at,
            id,
          ),
    );
    return true;
  }

  return {
    async run() {
      const nowSeconds = Math.floor(now() / 1000);
      const source = (await hasExpiryWarningIndex(client, tableName))
        ? fromIndex(doc, tableName, nowSeconds, lookbackDays)
        : fromScan(doc, tableName, nowSeconds);
      let due = 0;
      let sent = 0;
      for await (const candidate of source) {
        due += 1;
        if (await warn(candidate, nowSeconds)) sent += 1;
      }
      return { due, sent };
    },
  };
}
