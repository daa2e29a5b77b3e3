import { parsePat } from "@patgate/shared";
import type { AuditSink } from "../audit/audit-event.js";
import { type MintedToken, mintAccessToken } from "../jwt/mint-access-token.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { PatCache } from "../pat-cache/pat-cache.js";
import type { AddressBudget } from "../rate-limit/address-budget.js";
import type { FailureLimiter } from "../rate-limit/failure-limiter.js";
import { type ScryptBudget, ScryptBusyError } from "./scrypt-budget.js";
import type { TokenRecord, TokenStore } from "./types.js";

/** What a client asked for at `POST /token`, once parsed. */
export interface ExchangeRequest {
  readonly token: string;
  readonly scope?: string;
  readonly audience?: string;
  /** The client's address, for the audit trail and `lastUsedIp`. */
  readonly ip: string;
}

/** Why an exchange failed; the route maps each to an RFC 6749 error. */
export type ExchangeFailure =
  /** Not a PAT, unknown, wrong secret: the same for all, so a stranger learns nothing. */
  | { readonly reason: "subject_invalid" }
  /** Told only to a client that proved it holds the secret. */
  | { readonly reason: "subject_revoked" | "subject_expired" }
  | { readonly reason: "locked_out"; readonly retryAfterSeconds: number }
  /** This client address used up its budget of cold exchanges: 429. */
  | { readonly reason: "address_limited"; readonly retryAfterSeconds: number }
  /** scrypt is booked up for longer than the issuer lets anyone wait: 503. */
  | { readonly reason: "busy"; readonly retryAfterSeconds: number }
  | { readonly reason: "scope_empty" }
  | { readonly reason: "scope_exceeded"; readonly missing: readonly string[] }
  | { readonly reason: "audience_unknown" }
  /** The state read is too old to mint from (a stalled exchange): try again. */
  | { readonly reason: "state_too_old" };

export type ExchangeResult =
  | { readonly ok: true; readonly minted: MintedToken; readonly cached: boolean }
  | ({ readonly ok: false } & ExchangeFailure);

export interface ExchangeDeps {
  readonly store: TokenStore;
  readonly keys: SigningKeys;
  readonly cache: PatCache;
  readonly failures: FailureLimiter;
  /** Cold exchanges per client address (see `AddressBudget`); absent: unlimited. */
  readonly coldExchanges?: AddressBudget;
  /** The budget the store's secret checks run under: asked first, so a shed exchange costs no store read. */
  readonly scrypt?: Pick<ScryptBudget, "retryAfter">;
  readonly audit: AuditSink;
  readonly issuer: string;
  /** Allowed audiences; the first is the default. */
  readonly audiences: readonly string[];
  readonly tokenPrefix: string;
  readonly jwtTtlSeconds: number;
  /** Oldest state a JWT may be minted from, seconds (see `stateMaxAgeSeconds`). */
  readonly stateMaxAgeSeconds: number;
  readonly now: () => number;
}

/** Milliseconds between two `lastUsedAt` writes of one token from this process. */
const TOUCH_INTERVAL_MS = 60_000;
/** Token ids whose last touch is remembered; the map starts over past this. */
const TOUCH_MEMORY = 100_000;

/**
 * The oldest PAT state an exchange mints from: a cached record lives at most
 * the cache's lifetime, and a read that took longer (a stalled request) is
 * refused. Deny marks outlive JWTs by at least this much.
 */
export function stateMaxAgeSeconds(patCacheTtlSeconds: number): number {
  return Math.max(patCacheTtlSeconds, 30);
}

/** Down-scoping: the requested roles must all be roles of the PAT. */
function grantedRoles(record: TokenRecord, scope: string | undefined): ExchangeFailure | string[] {
  if (scope === undefined) return [...record.roles];
  const requested = [...new Set(scope.split(" ").filter((s) => s.length > 0))];
  if (requested.length === 0) return { reason: "scope_empty" };
  const held = new Set(record.roles);
  const missing = requested.filter((role) => !held.has(role));
  if (missing.length > 0) return { reason: "scope_exceeded", missing };
  return requested.sort();
}

/**
 * The PAT-for-JWT exchange: cache → lock-out → verify → expiry → scope and
 * audience → mint (carrying the revisions the state was read at) → touch.
 * Expected failures are values; only bugs and store outages throw.
 */
export function createPatExchange(deps: ExchangeDeps): (request: ExchangeRequest) => Promise<ExchangeResult> {
  const { store, keys, cache, failures, audit, now } = deps;
  const lastTouched = new Map<string, number>();

  function touch(record: TokenRecord, ip: string, nowMs: number): void {
    const last = lastTouched.get(record.tokenId);
    if (last !== undefined && nowMs - last < TOUCH_INTERVAL_MS) return;
    if (lastTouched.size >= TOUCH_MEMORY) lastTouched.clear();
    lastTouched.set(record.tokenId, nowMs);
    // Fire and forget: the exchange does not wait on a bookkeeping write.
    store.touch(record.tokenId, { at: Math.floor(nowMs / 1000), ip }).catch(() => {});
  }

  /** The record from the cache, or from the store (scrypt) behind the lock-out. */
  async function load(
    request: ExchangeRequest,
    nowMs: number,
  ): Promise<ExchangeFailure | { record: TokenRecord; readAtMs: number; cached: boolean }> {
    const hit = cache.get(request.token, nowMs);
    if (hit) return { record: hit.record, readAtMs: hit.readAtMs, cached: true };
    // Whatever the cache cannot serve costs this address: a first exchange, a forged or wrong
    // PAT. scrypt is the scarce resource, so its budget is far below the request limit.
    const addressWait = deps.coldExchanges?.take(request.ip) ?? 0;
    if (addressWait > 0) return { reason: "address_limited", retryAfterSeconds: addressWait };
    const parsed = parsePat(request.token, deps.tokenPrefix);
    const tokenId = parsed.ok ? parsed.tokenId : undefined;
    // The lock-out guards scrypt work and secret guessing. A cache hit is keyed by the whole
    // token, so only the real secret gets one: its holder is served even while someone
    // else's guesses keep the token id locked out, and the hot path makes no Redis call.
    if (tokenId !== undefined) {
      const wait = await failures.retryAfter(tokenId);
      if (wait > 0) return { reason: "locked_out", retryAfterSeconds: wait };
    }
    const busyFor = deps.scrypt?.retryAfter() ?? 0;
    if (busyFor > 0) return { reason: "busy", retryAfterSeconds: busyFor };
    const ticket = cache.ticket();
    const readAtMs = now();
    let result: Awaited<ReturnType<TokenStore["verify"]>>;
    try {
      result = await store.verify(parsed);
    } catch (error) {
      // Shed before any scrypt ran: nothing was learned about the PAT, so no failure is recorded.
      if (error instanceof ScryptBusyError) return { reason: "busy", retryAfterSeconds: error.retryAfterSeconds };
      throw error;
    }
    if (!result.ok) {
      audit.record({
        action: "token.exchange",
        actor: "anonymous",
        ...(tokenId !== undefined ? { tokenId } : {}),
        ip: request.ip,
        result: "failure",
        reason: result.reason,
        at: Math.floor(nowMs / 1000),
      });
      if (tokenId !== undefined) await failures.recordFailure(tokenId);
      if (result.reason === "revoked") return { reason: "subject_revoked" };
      if (result.reason === "expired") return { reason: "subject_expired" };
      return { reason: "subject_invalid" };
    }
    // Dropped by the cache if a change to this PAT or owner was heard since the ticket.
    cache.set(request.token, result.record, readAtMs, ticket);
    return { record: result.record, readAtMs, cached: false };
  }

  return async function exchange(request) {
    const loaded = await load(request, now());
    if ("reason" in loaded) return { ok: false, ...loaded };
    const { record, readAtMs, cached } = loaded;
    const nowMs = now();
    const nowSeconds = Math.floor(nowMs / 1000);
    if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds)
      return { ok: false, reason: "subject_expired" };
    const roles = grantedRoles(record, request.scope);
    if (!Array.isArray(roles)) return { ok: false, ...roles };
    const audience = request.audience ?? deps.audiences[0];
    if (audience === undefined || !deps.audiences.includes(audience)) return { ok: false, reason: "audience_unknown" };
    // Deny marks live long enough for JWTs minted from state up to this old, no older.
    if (nowMs - readAtMs > deps.stateMaxAgeSeconds * 1000) return { ok: false, reason: "state_too_old" };

    const minted = await mintAccessToken(keys, {
      issuer: deps.issuer,
      audience,
      owner: record.owner,
      tokenId: record.tokenId,
      roles,
      ttlSeconds: deps.jwtTtlSeconds,
      nowMs,
      revision: record.revision,
      ownerRevision: record.ownerRevision,
      ...(record.expiresAt !== undefined ? { patExpiresAt: record.expiresAt } : {}),
    });
    touch(record, request.ip, nowMs);
    return { ok: true, minted, cached };
  };
}
