/**
 * The 64-bit fingerprint of a deny-list field (`jti:…`, `client:…`, `sub:…`):
 * two independent 32-bit hashes over its UTF-16 code units. The snapshot
 * loader hashes a field's bytes straight from the Redis reply: for ASCII
 * bytes and code units are the same, so both give the same fingerprint.
 */

/** FNV-1a over UTF-16 code units, 32-bit. */
export function hashA(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A second, independent 32-bit hash (murmur3's mixing, another seed). */
export function hashB(text: string): number {
  let h = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  h ^= text.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** {@link hashA} over ASCII bytes `[start, end)` (each byte one code unit). */
export function hashBytesA(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}

/** {@link hashB} over ASCII bytes `[start, end)`. */
export function hashBytesB(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x9747b28c;
  for (let i = start; i < end; i++) {
    let k = Math.imul(bytes[i] as number, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  h ^= end - start;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
