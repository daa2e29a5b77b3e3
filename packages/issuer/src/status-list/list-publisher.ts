import { createHash } from "node:crypto";
import { signJws } from "../jwt/sign-jws.js";
import type { SigningKeys } from "../jwt/signing-keys.js";
import type { BitStore } from "./bit-store.js";
import { encodeList, ListBits, STATUS_BITS, STATUS_LIST_TYP } from "./list-encoding.js";
import { LIST_SIZE, MAX_LIST_NUMBER } from "./status-table.js";

/** A list as served: the signed token and its entity tag. */
export interface PublishedList {
  readonly jwt: string;
  readonly etag: string;
}

/** The `status` claim of a JWT: its index in a list and the list's URI. */
export interface StatusClaim {
  readonly idx: number;
  readonly uri: string;
}

export interface ListPublisherOptions {
  readonly bits: BitStore;
  readonly keys: SigningKeys;
  /** The issuer URL: lists are at `<issuer>/statuslists/<n>`. */
  readonly issuer: string;
  /** The lists' `ttl` claim, seconds. */
  readonly ttlSeconds: number;
  /**
   * How often a served list asks DynamoDB whether it changed, ms (default 500):
   * every issuer serves a revocation at most this long after it was written.
   */
  readonly checkEveryMs?: number;
  /** Current time, epoch ms. */
  readonly now?: () => number;
}

/**
 * Builds and caches the signed lists of this issuer. Each list is kept in
 * memory with the chunk versions it was built from; at most every
 * `checkEveryMs` (on demand, one check at a time) it reads the list's head
 * and only the chunks that moved, sets their bits, and signs the list again.
 * Requests in between are served from memory: no store read per request.
 * Every issuer of a deployment builds from the same DynamoDB items, so they
 * serve the same bits, each at most `checkEveryMs` behind.
 */
export interface ListPublisher {
  /** The claim for a global status index. */
  claimFor(index: number): StatusClaim;
  /** List `n`, or null when no index of it was ever handed out. Throws when the store is down and nothing is cached. */
  list(n: number): Promise<PublishedList | null>;
  uri(n: number): string;
}

interface ListState {
  readonly bits: ListBits;
  readonly versions: Map<number, number>;
  published?: PublishedList & { readonly signedAt: number; readonly exp: number };
  checkedAt: number;
  checking?: Promise<void> | undefined;
}

/** The lists' `exp`: an hour after `iat`, re-signed half-way, so a served list always has half an hour left. */
const LIFETIME_SECONDS = 3600;

/** Signs list `n` from `state`'s bits with the key that signs now. */
function sign(options: ListPublisherOptions, n: number, state: ListState, nowMs: number): void {
  const { keys, issuer, ttlSeconds } = options;
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + Math.max(LIFETIME_SECONDS, 2 * ttlSeconds);
  const key = keys.signingKey(iat);
  const jwt = signJws(
    key,
    { alg: key.alg, kid: key.kid, typ: STATUS_LIST_TYP },
    {
      iss: issuer,
      sub: listUri(issuer, n),
      iat,
      exp,
      ttl: ttlSeconds,
      status_list: { bits: STATUS_BITS, lst: encodeList(state.bits.bytes) },
    },
  );
  const etag = `"${createHash("sha256").update(jwt).digest("base64url").slice(0, 27)}"`;
  state.published = { jwt, etag, signedAt: nowMs, exp };
}

/** Reads the list's head, then only the chunks that moved; signs again when a bit changed or the list is half-way to `exp`. */
async function check(options: ListPublisherOptions, n: number, state: ListState, now: () => number): Promise<void> {
  const { bits } = options;
  const versions = await bits.versions(n);
  const moved = [...versions].filter(([chunk, version]) => state.versions.get(chunk) !== version).map(([c]) => c);
  if (moved.length > 0) {
    const chunks = await bits.chunks(n, moved);
    for (const chunk of moved) {
      state.bits.setChunk(chunk, chunks.get(chunk) ?? []);
      state.versions.set(chunk, versions.get(chunk) ?? 0);
    }
  }
  state.checkedAt = now();
  const stale = state.published === undefined || now() - state.published.signedAt >= (LIFETIME_SECONDS * 1000) / 2;
  if (moved.length > 0 || stale) sign(options, n, state, now());
}

/** Runs `task` unless one runs already; every caller waits for the same one. */
function once(holder: { checking?: Promise<void> | undefined }, task: () => Promise<void>): Promise<void> {
  if (!holder.checking) {
    holder.checking = task().finally(() => {
      holder.checking = undefined;
    });
  }
  return holder.checking;
}

function listUri(issuer: string, n: number): string {
  return `${issuer}/statuslists/${n}`;
}

export function createListPublisher(options: ListPublisherOptions): ListPublisher {
  const { bits, issuer, now = Date.now } = options;
  const checkEveryMs = options.checkEveryMs ?? 500;
  const lists = new Map<number, ListState>();
  const allocated = { count: 0, checkedAt: Number.NEGATIVE_INFINITY, checking: undefined as Promise<void> | undefined };
  const uri = (n: number) => listUri(issuer, n);

  async function isAllocated(n: number): Promise<boolean> {
    if (n * LIST_SIZE < allocated.count) return true;
    if (now() - allocated.checkedAt >= checkEveryMs) {
      await once(allocated, async () => {
        allocated.count = await bits.allocated();
        allocated.checkedAt = now();
      });
    }
    return n * LIST_SIZE < allocated.count;
  }

  return {
    uri,
    claimFor: (index) => ({ idx: index % LIST_SIZE, uri: uri(Math.floor(index / LIST_SIZE)) }),
    async list(n) {
      if (!Number.isSafeInteger(n) || n < 0 || n > MAX_LIST_NUMBER) return null;
      if (!(await isAllocated(n))) return null;
      let state = lists.get(n);
      if (!state) {
        state = { bits: new ListBits(), versions: new Map(), checkedAt: Number.NEGATIVE_INFINITY };
        lists.set(n, state);
      }
      if (now() - state.checkedAt >= checkEveryMs) {
        const current = state;
        try {
          await once(current, () => check(options, n, current, now));
        } catch (error) {
          // The store is down: the last list built is served while it is valid, so verifiers keep theirs.
          if (!current.published || current.published.exp * 1000 <= now()) throw error;
        }
      }
      if (!state.published) throw new Error(`status list ${n} could not be built`);
      return state.published;
    },
  };
}
