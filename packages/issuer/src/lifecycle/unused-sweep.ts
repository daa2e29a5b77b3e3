import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { TokenStoreError } from "../tokens/errors.js";
import { itemToStored } from "../tokens/record.js";

/**
 * What the sweep uses of the token service (`revokeUnused`): defined here, as
 * a structural type, so this module imports nothing from above it.
 */
export interface UnusedRevoker {
  /** Revokes through the token changes; writes the line, dated `at`, only on a change; true then. */
  revokeUnused(
    tokenId: string,
    line: { readonly at: number; readonly details: Readonly<Record<string, number>> },
  ): Promise<boolean>;
}

export interface UnusedSweepOptions {
  readonly client: DynamoDBClient;
  /** The token table. */
  readonly tableName: string;
  /**
   * The token service: revocations go the usual way (DynamoDB, the deny-list,
   * every verifier; `token.unused_revoked`), each with its audit line.
   */
  readonly tokens: UnusedRevoker;
  /** `PATGATE_REVOKE_UNUSED_AFTER`, seconds. */
  readonly unusedAfterSeconds: number;
  /** Items read per Scan page; default 100. */
  readonly pageSize?: number;
  /** Pause between pages, ms, so a pass never hogs the table's capacity; default 100. */
  readonly pauseMs?: number;
  /** Current time, epoch ms. Tests pass their own clock. */
  readonly now?: () => number;
}

/** What one pass did. */
export interface UnusedSweepResult {
  /** Tokens the pass looked at (after the Scan's filter). */
  readonly candidates: number;
  readonly revoked: number;
}

/**
 * Revokes PATs not used for `unusedAfterSeconds`: last used (`lastUsedAt`,
 * or `createdAt` when never used) before the cutoff, not revoked, not
 * expired.
 *
 * A bounded Scan, not an index: `lastUsedAt` changes whenever a PAT is used
 * (at most once a minute each), so an index on it would add an index write
 * to the exchange path, for a job that needs day precision. Instead a pass
 * reads the table in pages of `pageSize` items, projecting three attributes,
 * with `pauseMs` between pages, every few hours. Each candidate is read again
 * consistently (a use since the Scan saves it) and revoked through the
 * token service, with an audit line.
 */
export function createUnusedSweep(options: UnusedSweepOptions): { run(): Promise<UnusedSweepResult> } {
  const { client, tableName, tokens, unusedAfterSeconds, pageSize = 100, pauseMs = 100, now = Date.now } = options;
  const doc = DynamoDBDocumentClient.from(client);

  /** True when the token is still unused (and active) as of a consistent read. */
  async function stillUnused(tokenId: string, cutoff: number, nowSeconds: number): Promise<number | null> {
    const read = await doc.send(new GetCommand({ TableName: tableName, Key: { tokenId }, ConsistentRead: true }));
    const record = itemToStored(read.Item)?.record;
    if (!record || record.isRevoked) return null;
    if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds) return null;
    const lastUse = record.lastUsedAt ?? record.createdAt;
    return lastUse < cutoff ? lastUse : null;
  }

  return {
    async run() {
      const nowSeconds = Math.floor(now() / 1000);
      const cutoff = nowSeconds - unusedAfterSeconds;
      let candidates = 0;
      let revoked = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new ScanCommand({
            TableName: tableName,
            Limit: pageSize,
            ProjectionExpression: "tokenId",
            FilterExpression:
              "(attribute_not_exists(isRevoked) OR isRevoked = :false) AND attribute_not_exists(revokedAt)" +
              " AND (lastUsedAt < :cutoff OR (attribute_not_exists(lastUsedAt) AND createdAt < :cutoff))" +
              " AND (attribute_not_exists(expiresAt) OR expiresAt > :now)",
            ExpressionAttributeValues: { ":false": false, ":cutoff": cutoff, ":now": nowSeconds },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          if (typeof item.tokenId !== "string") continue;
          candidates += 1;
          const lastUse = await stillUnused(item.tokenId, cutoff, nowSeconds);
          if (lastUse === null) continue;
          const details = {
            lastUsedAt: lastUse,
            unusedDays: Math.floor((nowSeconds - lastUse) / 86_400),
            policyDays: Math.floor(unusedAfterSeconds / 86_400),
          };
          try {
            if (!(await tokens.revokeUnused(item.tokenId, { at: nowSeconds, details }))) continue;
          } catch (error) {
            // Deleted since it was read: nothing to revoke.
            if (error instanceof TokenStoreError && error.code === "not_found") continue;
            throw error;
          }
          revoked += 1;
        }
        start = page.LastEvaluatedKey;
        if (start && pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      } while (start);
      return { candidates, revoked };
    },
  };
}
