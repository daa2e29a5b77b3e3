/**
 * Verified tokens by their exact text, so a JWT reused for minutes is checked
 * cryptographically once. Bounded (least recently used goes first) and an
 * entry never outlives the token's own `exp`. Only a positive cache: it says
 * "this exact string had a valid signature and claims", nothing about
 * revocation, which `verify` checks on every call.
 */
export interface TokenCache<T> {
  get(token: string, nowSeconds: number): T | undefined;
  set(token: string, value: T, expiresAt: number): void;
  readonly size: number;
}

/** Characters of the token's end that key the map. */
const KEY_LENGTH = 32;
const keyOf = (token: string) => (token.length > KEY_LENGTH ? token.slice(-KEY_LENGTH) : token);

/**
 * An approximate LRU ("second chance", as in CLOCK): a hit only flags its
 * entry; eviction walks from the oldest, giving flagged entries another round
 * at the back. Two costs of the textbook Map LRU are avoided: re-inserting on
 * every hit (it churns V8's hash table), and starting an iterator at the front
 * for every eviction (it walks over every entry deleted since the last
 * rehash). Evictions here come in batches of 1/16 of the cache, one walk each.
 */
export function createTokenCache<T>(maxEntries: number): TokenCache<T> {
  // Keyed by the token's last characters (its signature: random to anyone without the key), each entry
  // holding the whole token, compared on every hit: a lookup hashes 32 characters, not a ~600-byte
  // string that arrives as a fresh copy with every request. Two tokens sharing a tail only evict each other.
  const entries = new Map<string, { token: string; value: T; expiresAt: number; used: boolean }>();
  const batch = Math.max(1, Math.floor(maxEntries / 16));

  function evict(): void {
    let evicted = 0;
    let visited = 0;
    const limit = entries.size;
    for (const [key, entry] of entries) {
      if (evicted >= batch || visited++ >= limit) break;
      entries.delete(key);
      if (entry.used) {
        entry.used = false;
        entries.set(key, entry);
      } else evicted += 1;
    }
    // Every entry had been used: the walk moved them all back; drop the oldest outright.
    for (const key of entries.keys()) {
      if (evicted >= batch) break;
      entries.delete(key);
      evicted += 1;
    }
  }

  return {
    get(token, nowSeconds) {
      const key = keyOf(token);
      const entry = entries.get(key);
      if (!entry || entry.token !== token) return undefined;
      if (entry.expiresAt <= nowSeconds) {
        entries.delete(key);
        return undefined;
      }
      entry.used = true;
      return entry.value;
    },
    set(token, value, expiresAt) {
      const key = keyOf(token);
      entries.delete(key);
      entries.set(key, { token, value, expiresAt, used: false });
      if (entries.size > maxEntries) evict();
    },
    get size() {
      return entries.size;
    },
  };
}
