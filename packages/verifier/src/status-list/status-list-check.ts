import type { KeyObject } from "node:crypto";
import type { AuthContext } from "../auth-context.js";
import { VerifierError } from "../errors.js";
import type { KeyHeader } from "../jwks.js";
import type { StatusListSettings } from "./status-list-option.js";
import { type DecodedList, statusAt, verifyStatusList } from "./status-list-token.js";

/** The Token Status List check of a verifier (see `createStatusListCheck`). */
export interface StatusListCheck {
  /** True when decided from a fresh list in memory (throws `token_denied` for a token not VALID); false: call `check`. */
  checkNow(context: AuthContext): boolean;
  /** Decides, fetching the list first when it is missing or older than its `ttl`. */
  check(context: AuthContext): Promise<void>;
}

export interface StatusListCheckOptions {
  readonly issuer: string;
  readonly settings: StatusListSettings;
  readonly keyFor: (header: KeyHeader) => Promise<KeyObject>;
  readonly algorithms: readonly string[];
  /** A deny-list is followed too: a token without a `status` claim is left to it instead of refused. */
  readonly withDenyList: boolean;
  readonly warn: (message: string) => void;
  readonly now: () => number;
}

interface GoodList {
  readonly list: DecodedList;
  fetchedAt: number;
  readonly etag?: string;
}

interface Slot {
  good?: GoodList;
  fetching?: Promise<void> | undefined;
  /** After a failed fetch, none before this (ms), so an outage does not make every call wait. */
  retryAt: number;
}

/** Least time between two fetches of a list after one failed, ms. */
const RETRY_AFTER_FAILURE_MS = 1000;

function claimOf(context: AuthContext, originSlash: string): { idx: number; uri: string } | undefined {
  const status = (context.claims as { status?: unknown }).status;
  if (status === undefined) return undefined;
  const entry = (status as { status_list?: { idx?: unknown; uri?: unknown } } | null)?.status_list;
  const idx = entry?.idx;
  const uri = entry?.uri;
  if (typeof idx !== "number" || !Number.isSafeInteger(idx) || idx < 0 || typeof uri !== "string")
    throw new VerifierError("claim_invalid", "the status claim is malformed");
  // Lists are fetched only from the issuer's own origin: a token never sends the verifier elsewhere.
  // A prefix test, not a URL parse on every call: `https://issuer@evil/` does not start with `https://issuer/`.
  if (!uri.startsWith(originSlash))
    throw new VerifierError("claim_invalid", "the status list is not on the issuer's origin");
  return { idx, uri };
}

function decide(list: DecodedList, idx: number): void {
  const status = statusAt(list, idx);
  if (status === undefined) throw new VerifierError("claim_invalid", "the status index is beyond its list");
  if (status !== 0) throw new VerifierError("token_denied", "the token has been revoked (status list)");
}

/** Fetches list `uri` (with `If-None-Match`), verifies it and makes it the slot's good copy; a failure keeps the old one. */
async function fetchList(options: StatusListCheckOptions, uri: string, slot: Slot): Promise<void> {
  const { settings, now } = options;
  try {
    const response = await settings.fetch(uri, {
      headers: {
        accept: "application/statuslist+jwt",
        ...(slot.good?.etag ? { "if-none-match": slot.good.etag } : {}),
      },
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    if (response.status === 304 && slot.good) {
      slot.good.fetchedAt = now();
      return;
    }
    if (response.status !== 200) throw new Error(`status list ${uri}: HTTP ${response.status}`);
    const list = await verifyStatusList(await response.text(), uri, {
      keyFor: options.keyFor,
      algorithms: options.algorithms,
      nowMs: now(),
    });
    const etag = response.headers.get("etag");
    slot.good = { list, fetchedAt: now(), ...(etag ? { etag } : {}) };
  } catch (error) {
    slot.retryAt = now() + RETRY_AFTER_FAILURE_MS;
    options.warn(`patgate verifier: keeping the last good status list: ${(error as Error).message}`);
  }
}

/**
 * Follows the issuer's status lists: a list is fetched when a token first
 * points at it, used for its `ttl`, then fetched again (one request at a time
 * per list, with `If-None-Match`). A list that fails to verify (signature,
 * `typ`, `sub`, compression) or a failed request leaves the last good copy in
 * use until `maxStalenessSeconds` after it was last confirmed; past that,
 * tokens pointing at it fail closed with `status_list_unavailable`.
 */
export function createStatusListCheck(options: StatusListCheckOptions): StatusListCheck {
  const { settings, now } = options;
  const originSlash = `${new URL(options.issuer).origin}/`;
  const slots = new Map<string, Slot>();

  const fresh = (good: GoodList | undefined, at: number): good is GoodList =>
    good !== undefined && at < good.fetchedAt + good.list.ttlSeconds * 1000 && usable(good, at);
  const usable = (good: GoodList, at: number) => good.list.exp === undefined || at < good.list.exp * 1000;

  function refresh(uri: string, slot: Slot): Promise<void> {
    if (!slot.fetching) {
      slot.fetching = fetchList(options, uri, slot).finally(() => {
        slot.fetching = undefined;
      });
    }
    return slot.fetching;
  }

  function claimOrPass(context: AuthContext): { idx: number; uri: string } | undefined {
    const claim = claimOf(context, originSlash);
    if (claim || options.withDenyList) return claim;
    throw new VerifierError("claim_invalid", "the token carries no status claim");
  }

  return {
    checkNow(context) {
      const claim = claimOrPass(context);
      if (!claim) return true;
      const good = slots.get(claim.uri)?.good;
      if (!fresh(good, now())) return false;
      decide(good.list, claim.idx);
      return true;
    },
    async check(context) {
      const claim = claimOrPass(context);
      if (!claim) return;
      let slot = slots.get(claim.uri);
      if (!slot) {
        slot = { retryAt: 0 };
        slots.set(claim.uri, slot);
      }
      if (!fresh(slot.good, now()) && now() >= slot.retryAt) await refresh(claim.uri, slot);
      const good = slot.good;
      const at = now();
      if (!good || at - good.fetchedAt > settings.maxStalenessMs || !usable(good, at))
        throw new VerifierError(
          "status_list_unavailable",
          "the status list is out of date (its issuer is unreachable)",
        );
      decide(good.list, claim.idx);
    },
  };
}
