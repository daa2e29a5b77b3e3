import type { TokenRecord, TokenStore } from "../tokens/types.js";
import type { TokenFilters } from "./views/admin-views.js";
import { EXPIRY_WARNING_SECONDS, statusOf } from "./views/token-views.js";

/** "Unused": not exchanged (or, never used, not created) for this long. */
export const UNUSED_SECONDS = 90 * 86_400;
/** Rows on one page of the admin list. */
const PAGE_ROWS = 50;
/** Store pages read to fill one page of filtered rows, so a rare filter cannot read the whole table per request. */
const MAX_STORE_PAGES = 20;

function matches(record: TokenRecord, filters: TokenFilters, nowSeconds: number): boolean {
  if (filters.status && statusOf(record, nowSeconds) !== filters.status) return false;
  if (filters.expiring) {
    const left = record.expiresAt === undefined ? Number.POSITIVE_INFINITY : record.expiresAt - nowSeconds;
    if (record.isRevoked || left <= 0 || left > EXPIRY_WARNING_SECONDS) return false;
  }
  if (filters.unused && nowSeconds - (record.lastUsedAt ?? record.createdAt) < UNUSED_SECONDS) return false;
  return true;
}

/**
 * A page of every owner's PATs for the admin: owner and role go to the store
 * (an index query, a filter), status, expiring and unused are applied here,
 * reading store pages until the page is full, so a filter never yields short
 * pages with more rows behind them.
 */
export async function searchTokens(
  store: TokenStore,
  filters: TokenFilters,
  nowSeconds: number,
  cursor?: string,
): Promise<{ readonly items: TokenRecord[]; readonly nextCursor?: string }> {
  const items: TokenRecord[] = [];
  let next = cursor;
  for (let pages = 0; pages < MAX_STORE_PAGES && items.length < PAGE_ROWS; pages++) {
    const page = await store.list({
      limit: PAGE_ROWS,
      ...(next ? { cursor: next } : {}),
      ...(filters.owner ? { owner: filters.owner } : {}),
      ...(filters.role ? { hasRole: filters.role } : {}),
      ...(filters.status === "active" ? { includeRevoked: false, includeExpired: false } : {}),
    });
    items.push(...page.items.filter((record) => matches(record, filters, nowSeconds)));
    next = page.nextCursor;
    if (!next) break;
  }
  return { items, ...(next ? { nextCursor: next } : {}) };
}
