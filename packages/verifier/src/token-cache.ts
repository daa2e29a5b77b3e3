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

export function createTokenCache<T>(maxEntries: number): TokenCache<T> {
  const entries = new Map<string, { value: T; expiresAt: number }>();
  return {
    get(token, nowSeconds) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.expiresAt <= nowSeconds) {
        entries.delete(token);
        return undefined;
      }
      // Re-insert: Map order is insertion order, so the oldest key is the least recently used.
      entries.delete(token);
      entries.set(token, entry);
      return entry.value;
    },
    set(token, value, expiresAt) {
      entries.delete(token);
      entries.set(token, { value, expiresAt });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
