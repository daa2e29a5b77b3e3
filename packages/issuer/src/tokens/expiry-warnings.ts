/**
 * When a token's expiry warnings are due. A token carries the next one in
 * three attributes, kept by every write that sets or changes `expiresAt`:
 * `warnAt` (epoch s), `warnStage` (which warning) and `warnDay` (the UTC day
 * of `warnAt`, `YYYY-MM-DD`). The sparse index {@link EXPIRY_WARNING_INDEX}
 * (partition `warnDay`, sort `warnAt`) holds only tokens with a warning still
 * to come, so the scheduler finds the due ones with a few Queries, never a
 * Scan; once the last one (`expired`) is sent, the attributes are removed and
 * the token leaves the index.
 *
 * A warning is sent when the time left crosses its threshold: a PAT created
 * with 20 days to live gets the 7-day and 1-day warnings, not the 30-day one.
 */

/** Name of the global secondary index on the next expiry warning. */
export const EXPIRY_WARNING_INDEX = "expiry-warning-index";

/** The warnings, in the order they fall due. */
export const EXPIRY_STAGES = [
  { stage: "30d", beforeSeconds: 30 * 86_400 },
  { stage: "7d", beforeSeconds: 7 * 86_400 },
  { stage: "1d", beforeSeconds: 86_400 },
  { stage: "expired", beforeSeconds: 0 },
] as const;

export type ExpiryStage = (typeof EXPIRY_STAGES)[number]["stage"];

/** The next warning of a token: which, and when (epoch s). */
export interface ExpiryWarning {
  readonly stage: ExpiryStage;
  readonly at: number;
}

/** The token attributes that put a token in the index. */
export interface ExpiryWarningAttributes {
  readonly warnAt: number;
  readonly warnStage: ExpiryStage;
  readonly warnDay: string;
}

/** Names of those attributes, to remove them. */
export const EXPIRY_WARNING_ATTRIBUTES = ["warnAt", "warnStage", "warnDay"] as const;

/** The UTC day of an epoch-seconds time, `YYYY-MM-DD`: the index's partition. */
export function warnDayOf(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

/** When `stage` falls due for a token expiring at `expiresAt`. */
export function stageAt(stage: ExpiryStage, expiresAt: number): number {
  const found = EXPIRY_STAGES.find((s) => s.stage === stage);
  return expiresAt - (found?.beforeSeconds ?? 0);
}

/**
 * The first warning still ahead at `nowSeconds`, after `after` when given;
 * null when none is (the token has expired, or `expired` was the last).
 *
 * @example nextWarning(now + 20 * 86_400, now) // { stage: "7d", at: now + 13 * 86_400 }
 */
export function nextWarning(expiresAt: number, nowSeconds: number, after?: ExpiryStage): ExpiryWarning | null {
  const start = after === undefined ? 0 : EXPIRY_STAGES.findIndex((s) => s.stage === after) + 1;
  for (const { stage, beforeSeconds } of EXPIRY_STAGES.slice(start)) {
    const at = expiresAt - beforeSeconds;
    if (at > nowSeconds) return { stage, at };
  }
  return null;
}

/**
 * The warning to send for a token whose stage `due` has fallen due: the most
 * urgent one crossed by `nowSeconds` (after a scheduler outage that spanned
 * two thresholds only the nearer one is sent).
 */
export function dueWarning(expiresAt: number, nowSeconds: number, due: ExpiryStage): ExpiryStage {
  const start = EXPIRY_STAGES.findIndex((s) => s.stage === due);
  let current: ExpiryStage = due;
  for (const { stage, beforeSeconds } of EXPIRY_STAGES.slice(Math.max(0, start))) {
    if (expiresAt - beforeSeconds <= nowSeconds) current = stage;
  }
  return current;
}

/** The attributes for a token expiring at `expiresAt`, written at `nowSeconds`; null when no warning is ahead. */
export function expiryWarningAttributes(
  expiresAt: number,
  nowSeconds: number,
  after?: ExpiryStage,
): ExpiryWarningAttributes | null {
  const next = nextWarning(expiresAt, nowSeconds, after);
  return next ? { warnAt: next.at, warnStage: next.stage, warnDay: warnDayOf(next.at) } : null;
}
