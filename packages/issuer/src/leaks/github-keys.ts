import { createPublicKey, type KeyObject } from "node:crypto";

/** GitHub's secret-scanning public keys, as its documentation publishes them. */
export const GITHUB_SECRET_SCANNING_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning";

export interface GithubKeySourceOptions {
  /** Where the keys are published (`PATGATE_GITHUB_KEYS_URL`). */
  readonly url: string;
  /** Keys are fetched again after this long; default one hour. */
  readonly maxAgeMs?: number;
  /** An unknown identifier triggers at most one fetch per this long; default 60 s. */
  readonly refetchCooldownMs?: number;
  /** Longest a fetch may take; default 5 s. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/** The key GitHub signed a report with, by `Github-Public-Key-Identifier`. */
export interface GithubKeySource {
  key(identifier: string): Promise<KeyObject | undefined>;
  /** Fetches made so far (for tests and metrics). */
  readonly fetches: number;
}

/** Largest key document accepted: a few keys fit in a few kB. */
const MAX_DOCUMENT_BYTES = 64 * 1024;

async function fetchKeys(url: string, timeoutMs: number): Promise<Map<string, KeyObject>> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { accept: "application/json" },
  });
  if (!response.ok) throw new Error(`GitHub keys: HTTP ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_DOCUMENT_BYTES) throw new Error("GitHub keys: document too large");
  const document = JSON.parse(text) as { public_keys?: unknown };
  const keys = new Map<string, KeyObject>();
  for (const entry of Array.isArray(document.public_keys) ? document.public_keys : []) {
    const { key_identifier: id, key } = (entry ?? {}) as { key_identifier?: unknown; key?: unknown };
    if (typeof id !== "string" || typeof key !== "string") continue;
    try {
      const parsed = createPublicKey(key);
      // Only ECDSA P-256 keys are GitHub's; anything else is ignored.
      if (parsed.asymmetricKeyType === "ec" && parsed.asymmetricKeyDetails?.namedCurve === "prime256v1")
        keys.set(id, parsed);
    } catch {
      // A malformed key is skipped, not fatal.
    }
  }
  return keys;
}

/**
 * The keys, cached for `maxAgeMs`; an identifier not in the cache makes one
 * refetch (a key GitHub just added), and such refetches happen at most once
 * per cooldown, so forged identifiers cannot turn the endpoint into a fetch
 * amplifier.
 */
export function createGithubKeySource(options: GithubKeySourceOptions): GithubKeySource {
  const { url, maxAgeMs = 3_600_000, refetchCooldownMs = 60_000, timeoutMs = 5000, now = Date.now } = options;
  let keys = new Map<string, KeyObject>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  /** Last refetch made for an unknown identifier: those are bounded to one per cooldown. */
  let unknownRefetchAt = Number.NEGATIVE_INFINITY;
  let fetches = 0;
  let inFlight: Promise<void> | undefined;

  function refresh(): Promise<void> {
    inFlight ??= (async () => {
      fetches += 1;
      fetchedAt = now();
      try {
        keys = await fetchKeys(url, timeoutMs);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  return {
    async key(identifier) {
      const stale = now() - fetchedAt > maxAgeMs;
      const unknown = !keys.has(identifier) && now() - unknownRefetchAt > refetchCooldownMs;
      if (unknown && !stale) unknownRefetchAt = now();
      if (stale || unknown) await refresh().catch(() => {});
      return keys.get(identifier);
    },
    get fetches() {
      return fetches;
    },
  };
}
