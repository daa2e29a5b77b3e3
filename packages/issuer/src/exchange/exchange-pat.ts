import { parsePat } from "@patgate/shared";
import type { AuditSink } from "../audit/audit-event.js";
import type { AuthorizationDetail } from "../authorization/authorization-detail.js";
import { grantedDetails } from "../authorization/granted-details.js";
import { checkBinding } from "../dpop/pat-binding.js";
import { type MintedToken, mintAccessToken } from "../jwt/mint-access-token.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { PatCache } from "../pat-cache/pat-cache.js";
import type { AddressBudget } from "../rate-limit/address-budget.js";
import type { FailureLimiter, ReservedTry } from "../rate-limit/failure-limiter.js";
import type { StatusList } from "../status-list/status-list.js";
import type { PatVerifyResult, TokenRecord, TokenStore } from "../tokens/types.js";
import { addressAllowed } from "./allowed-ips.js";
import { type ScryptBudget, ScryptBusyError } from "./scrypt-budget.js";
import { createUsageTouch } from "./usage-touch.js";

/** What a client asked for at `POST /token`, once parsed. */
export interface ExchangeRequest {
  readonly token: string;
  readonly scope?: string;
  readonly audience?: string;
  /** RFC 9396 details asked for (checked against the declared types); absent: all of the PAT's. */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
  /** The client's address, for the audit trail and `lastUsedIp`. */
  readonly ip: string;
  /** The thumbprint of the key of a valid DPoP proof sent with the request (RFC 9449): the JWT's `cnf.jkt`. */
  readonly dpopJkt?: string;
}

/** Why an exchange failed; the route maps each to an RFC 6749 error. */
export type ExchangeFailure =
  /** Not a PAT, unknown, wrong secret: the same for all, so a stranger learns nothing. */
  | { readonly reason: "subject_invalid" }
  /** Told only to a client that proved it holds the secret. */
  | { readonly reason: "subject_revoked" | "subject_expired" | "address_not_allowed" }
  | { readonly reason: "locked_out"; readonly retryAfterSeconds: number }
  /** This client address used up its budget of cold exchanges: 429. */
  | { readonly reason: "address_limited"; readonly retryAfterSeconds: number }
  /** scrypt is booked up for longer than the issuer lets anyone wait: 503. */
  | { readonly reason: "busy"; readonly retryAfterSeconds: number }
  | { readonly reason: "scope_empty" }
  | { readonly reason: "scope_exceeded"; readonly missing: readonly string[] }
  | { readonly reason: "audience_unknown" }
  /** `authorization_details` asks for what no detail of the PAT covers. */
  | { readonly reason: "authorization_details_exceeded"; readonly index: number }
  /** The admin audience, asked for with a PAT that is not an admin. */
  | { readonly reason: "audience_forbidden" }
  /** The admin audience with a `scope` that leaves out some of the admin PAT's roles. */
  | { readonly reason: "admin_scope_narrowed" }
  /** The PAT is bound to a key (DPoP): no proof was sent, or one by another key. Told only to a holder of the secret. */
  | { readonly reason: "dpop_required" | "dpop_key_mismatch" }
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
  /** The admin API's audience: only admin PATs get it, and never down-scoped (see `admin-auth.ts`). */
  readonly adminAudience: string;
  readonly tokenPrefix: string;
  readonly jwtTtlSeconds: number;
  /** Oldest state a JWT may be minted from, seconds (see `stateMaxAgeSeconds`). */
  readonly stateMaxAgeSeconds: number;
  readonly now: () => number;
  /** The Token Status List: every JWT carries the `status` claim of its PAT revision. */
  readonly statusList?: Pick<StatusList, "claimFor">;
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
 * The admin audience is an admin credential: only an admin PAT gets it, with
 * every one of its roles. A `scope` that narrows it is refused rather than
 * minted, since the admin API would refuse that JWT anyway.
 */
function adminAudienceRefusal(record: TokenRecord, roles: readonly string[]): ExchangeFailure | undefined {
  if (!record.isAdmin) return { reason: "audience_forbidden" };
  if (roles.length < record.roles.length) return { reason: "admin_scope_narrowed" };
  return undefined;
}

/** One failed exchange on the audit trail. */
function auditFailure(
  deps: ExchangeDeps,
  failure: { actor: string; tokenId?: string; ip: string; reason: string; at: number },
): void {
  const { actor, tokenId, ip, reason, at } = failure;
  deps.audit.record({
    action: "token.exchange",
    actor,
    ...(tokenId !== undefined ? { tokenId } : {}),
    ip,
    result: "failure",
    reason,
    at,
  });
}

type Loaded = { record: TokenRecord; readAtMs: number; cached: boolean };

/**
 * The record from the cache, or from the store (scrypt) behind the cold-
 * exchange budget, the lock-out and the scrypt budget.
 */
async function loadRecord(
  deps: ExchangeDeps,
  request: ExchangeRequest,
  nowMs: number,
): Promise<ExchangeFailure | Loaded> {
  const { cache, failures, store, now } = deps;
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
  // The try is reserved before scrypt, so concurrent guesses cannot overrun the limit,
  // and counted per address, so guesses from elsewhere never lock the holder out.
  let reserved: ReservedTry | undefined;
  if (tokenId !== undefined) {
    const reservation = await failures.reserve(tokenId, request.ip);
    if (!reservation.ok) return { reason: "locked_out", retryAfterSeconds: reservation.retryAfterSeconds };
    reserved = reservation;
  }
  const busyFor = deps.scrypt?.retryAfter() ?? 0;
  if (busyFor > 0) {
    // Shed before any work: the try and the cold-exchange unit are given back for the retry.
    reserved?.settle("abandoned");
    deps.coldExchanges?.giveBack(request.ip);
    return { reason: "busy", retryAfterSeconds: busyFor };
  }
  const ticket = cache.ticket();
  const readAtMs = now();
  let result: PatVerifyResult;
  try {
    result = await store.verify(parsed);
  } catch (error) {
    // A store outage, or scrypt shed before it ran, is no verdict on the secret: the try is given back.
    reserved?.settle("abandoned");
    deps.coldExchanges?.giveBack(request.ip);
    if (error instanceof ScryptBusyError) return { reason: "busy", retryAfterSeconds: error.retryAfterSeconds };
    throw error;
  }
  reserved?.settle(result.ok ? "succeeded" : "failed");
  if (!result.ok) {
    const at = Math.floor(nowMs / 1000);
    auditFailure(deps, {
      actor: "anonymous",
      ...(tokenId !== undefined ? { tokenId } : {}),
      ip: request.ip,
      reason: result.reason,
      at,
    });
    if (result.reason === "revoked") return { reason: "subject_revoked" };
    if (result.reason === "expired") return { reason: "subject_expired" };
    return { reason: "subject_invalid" };
  }
  // Dropped by the cache if a change to this PAT or owner was heard since the ticket; an old
  // secret in a rotation's grace period is never served from it past the end of the grace.
  const notAfterMs = result.secretValidUntil === undefined ? undefined : result.secretValidUntil * 1000;
  cache.set(request.token, result.record, readAtMs, ticket, notAfterMs);
  return { record: result.record, readAtMs, cached: false };
}

/**
 * What a verified PAT may be exchanged for here and now: not expired, from an
 * allowed address, the roles asked for, an audience it may have.
 */
function grantFor(
  deps: ExchangeDeps,
  record: TokenRecord,
  request: ExchangeRequest,
  nowSeconds: number,
): ExchangeFailure | { roles: string[]; audience: string; details: readonly AuthorizationDetail[] } {
  if (record.expiresAt !== undefined && record.expiresAt <= nowSeconds) return { reason: "subject_expired" };
  // Told only now: the client proved it holds the secret.
  if (!addressAllowed(record.allowedIps, request.ip)) {
    auditFailure(deps, {
      actor: "anonymous",
      tokenId: record.tokenId,
      ip: request.ip,
      reason: "address_not_allowed",
      at: nowSeconds,
    });
    return { reason: "address_not_allowed" };
  }
  const roles = grantedRoles(record, request.scope);
  if (!Array.isArray(roles)) return roles;
  const details = grantedDetails(record.authorizationDetails, request.authorizationDetails);
  if ("reason" in details) return details;
  const audience = request.audience ?? deps.audiences[0];
  if (audience === deps.adminAudience) {
    const refused = adminAudienceRefusal(record, roles);
    if (refused) {
      const actor = `holder (${record.tokenId})`;
      auditFailure(deps, { actor, tokenId: record.tokenId, ip: request.ip, reason: refused.reason, at: nowSeconds });
      return refused;
    }
  } else if (audience === undefined || !deps.audiences.includes(audience)) {
    return { reason: "audience_unknown" };
  }
  return { roles, audience, details: details.granted };
}

/**
 * The PAT-for-JWT exchange: cache → lock-out → verify → expiry → scope and
 * audience → mint (carrying the revisions the state was read at) → touch.
 * Expected failures are values; only bugs and store outages throw.
 */
export type PatExchange = (request: ExchangeRequest) => Promise<ExchangeResult>;

export function createPatExchange(deps: ExchangeDeps): PatExchange {
  const { keys, now } = deps;
  const touch = createUsageTouch(deps.store);
  return async function exchange(request) {
    const loaded = await loadRecord(deps, request, now());
    if ("reason" in loaded) return { ok: false, ...loaded };
    const { readAtMs, cached } = loaded;
    const nowMs = now();
    const grant = grantFor(deps, loaded.record, request, Math.floor(nowMs / 1000));
    if ("reason" in grant) return { ok: false, ...grant };
    const binding = await checkBinding(deps.store, loaded.record, request.dpopJkt);
    if ("reason" in binding) {
      const at = Math.floor(nowMs / 1000);
      const tokenId = loaded.record.tokenId;
      auditFailure(deps, { actor: `holder (${tokenId})`, tokenId, ip: request.ip, reason: binding.reason, at });
      return { ok: false, ...binding };
    }
    const { record } = binding;
    // Deny marks live long enough for JWTs minted from state up to this old, no older.
    if (nowMs - readAtMs > deps.stateMaxAgeSeconds * 1000) return { ok: false, reason: "state_too_old" };

    const claim = deps.statusList?.claimFor(record);
    const status = claim instanceof Promise ? await claim : claim;
    const minted = await mintAccessToken(keys, {
      issuer: deps.issuer,
      audience: grant.audience,
      owner: record.owner,
      tokenId: record.tokenId,
      roles: grant.roles,
      ...(grant.details.length > 0 ? { authorizationDetails: grant.details } : {}),
      ttlSeconds: deps.jwtTtlSeconds,
      nowMs,
      revision: record.revision,
      ownerRevision: record.ownerRevision,
      ...(record.expiresAt !== undefined ? { patExpiresAt: record.expiresAt } : {}),
      ...(binding.jkt === undefined ? {} : { dpopJkt: binding.jkt }),
      ...(status ? { status } : {}),
    });
    touch(record, request.ip, nowMs);
    return { ok: true, minted, cached };
  };
}
