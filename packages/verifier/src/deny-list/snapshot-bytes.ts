import { type DenyEntry, denyEntryField, MAX_DENY_VALUE_LENGTH, parseDenyEntry } from "@patgate/shared";
import { hashA, hashB, hashBytesA, hashBytesB } from "./fingerprint.js";

/**
 * A deny-list snapshot as fingerprints (see `CompactTable`): per entry its
 * field's two hashes, its expiry and its minimum revision (0 for a jti), in
 * typed arrays. Made from the `HVALS` reply's bytes with no string or object
 * per entry: at a million entries the strings and `JSON.parse` objects of the
 * reply were most of the load's time, in garbage collection.
 */
export interface SnapshotFingerprints {
  readonly count: number;
  readonly keyA: Uint32Array;
  readonly keyB: Uint32Array;
  readonly expiresAt: Float64Array;
  readonly minRev: Float64Array;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const ZERO = 0x30;
/** Digits of a number read from bytes: 15 stay within a safe integer. */
const MAX_DIGITS = 15;

/** Where an entry's JSON keeps what the fingerprint needs; -1 when absent. */
interface Scan {
  kindStart: number;
  kindEnd: number;
  valueStart: number;
  valueEnd: number;
  expiresAt: number;
  minRev: number;
}

function skipSpace(bytes: Uint8Array, at: number): number {
  let i = at;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return i;
}

/** End of a plain string starting after its quote (ASCII, no escape); -1 otherwise. */
function stringEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === QUOTE) return i;
    if (byte === BACKSLASH || byte >= 0x80 || byte < 0x20) return -1;
  }
  return -1;
}

/** Whether bytes `[start, end)` spell `word`. */
function spells(bytes: Uint8Array, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (bytes[start + i] !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * Reads a flat JSON object of plain strings and non-negative integers, keeping
 * `kind`, `value`, `expiresAt` and `minRev` (the last of a repeated key, as
 * `JSON.parse` does). False for anything else (an escape, non-ASCII text, a
 * fraction, a nested value): the caller then parses that entry the slow way.
 */
function scanEntry(bytes: Uint8Array, scan: Scan): boolean {
  scan.kindStart = scan.valueStart = scan.expiresAt = scan.minRev = -1;
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== OPEN) return false;
  i = skipSpace(bytes, i + 1);
  if (bytes[i] === CLOSE) return skipSpace(bytes, i + 1) === bytes.length;
  for (;;) {
    if (bytes[i] !== QUOTE) return false;
    const keyStart = i + 1;
    const keyEnd = stringEnd(bytes, keyStart);
    if (keyEnd < 0) return false;
    i = skipSpace(bytes, keyEnd + 1);
    if (bytes[i] !== COLON) return false;
    i = skipSpace(bytes, i + 1);
    if (bytes[i] === QUOTE) {
      const end = stringEnd(bytes, i + 1);
      if (end < 0) return false;
      if (spells(bytes, keyStart, keyEnd, "kind")) [scan.kindStart, scan.kindEnd] = [i + 1, end];
      else if (spells(bytes, keyStart, keyEnd, "value")) [scan.valueStart, scan.valueEnd] = [i + 1, end];
      else if (spells(bytes, keyStart, keyEnd, "expiresAt") || spells(bytes, keyStart, keyEnd, "minRev")) return false;
      i = end + 1;
    } else {
      let number = 0;
      const start = i;
      while (i < bytes.length && (bytes[i] as number) >= ZERO && (bytes[i] as number) <= ZERO + 9) {
        number = number * 10 + ((bytes[i] as number) - ZERO);
        i++;
      }
      if (i === start || i - start > MAX_DIGITS || (bytes[start] === ZERO && i - start > 1)) return false;
      if (spells(bytes, keyStart, keyEnd, "expiresAt")) scan.expiresAt = number;
      else if (spells(bytes, keyStart, keyEnd, "minRev")) scan.minRev = number;
      else if (spells(bytes, keyStart, keyEnd, "kind") || spells(bytes, keyStart, keyEnd, "value")) return false;
    }
    i = skipSpace(bytes, i);
    if (bytes[i] === CLOSE) return skipSpace(bytes, i + 1) === bytes.length;
    if (bytes[i] !== COMMA) return false;
    i = skipSpace(bytes, i + 1);
  }
}

/** The entry's kind as its field prefix; undefined when not one of the three. */
function kindOf(bytes: Uint8Array, scan: Scan): "jti" | "client" | "sub" | undefined {
  for (const kind of ["jti", "client", "sub"] as const)
    if (spells(bytes, scan.kindStart, scan.kindEnd, kind)) return kind;
  return undefined;
}

/** Room for the longest field: the longest kind, a colon and the longest value (ASCII). */
const scratch = new Uint8Array("client:".length + MAX_DENY_VALUE_LENGTH);

/**
 * The length of the scanned entry's field (`kind:value`) spelled into
 * `scratch`, when the entry is valid by `parseDenyEntry`'s rules; else -1.
 */
function spellField(value: Uint8Array, scan: Scan): number {
  const kind = scan.kindStart < 0 ? undefined : kindOf(value, scan);
  if (!kind || scan.valueStart < 0 || scan.expiresAt < 0 || (kind !== "jti" && scan.minRev < 0)) return -1;
  const length = scan.valueEnd - scan.valueStart;
  if (length === 0 || length > MAX_DENY_VALUE_LENGTH) return -1;
  for (let i = 0; i < kind.length; i++) scratch[i] = kind.charCodeAt(i);
  scratch[kind.length] = COLON;
  // A loop, not `set(subarray(…))`: no view object per entry.
  for (let i = 0; i < length; i++) scratch[kind.length + 1 + i] = value[scan.valueStart + i] as number;
  return kind.length + 1 + length;
}

/** The entry of a value the byte scan did not take, parsed as before; null when malformed. */
function slowEntry(value: Uint8Array): DenyEntry | null {
  try {
    return parseDenyEntry(JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8")));
  } catch {
    return null;
  }
}

/**
 * Fingerprints of an `HVALS` reply read as bytes: each value is read as
 * `parseDenyEntry(JSON.parse(value))` reads it, and its fingerprint is that of
 * `denyEntryField(entry)` (the field it is stored under: the entry names it,
 * so the fields need not be read at all). A malformed entry is skipped, as before.
 */
export function fingerprintsOf(values: readonly Uint8Array[]): SnapshotFingerprints {
  const keyA = new Uint32Array(values.length);
  const keyB = new Uint32Array(values.length);
  const expiresAt = new Float64Array(values.length);
  const minRev = new Float64Array(values.length);
  const scan: Scan = { kindStart: -1, kindEnd: -1, valueStart: -1, valueEnd: -1, expiresAt: -1, minRev: -1 };
  let count = 0;
  for (const value of values) {
    const length = scanEntry(value, scan) ? spellField(value, scan) : -1;
    if (length > 0) {
      keyA[count] = hashBytesA(scratch, 0, length);
      keyB[count] = hashBytesB(scratch, 0, length);
      expiresAt[count] = scan.expiresAt;
      minRev[count] = spells(value, scan.kindStart, scan.kindEnd, "jti") ? 0 : scan.minRev;
      count++;
      continue;
    }
    const entry = slowEntry(value);
    if (!entry) continue;
    const text = denyEntryField(entry);
    keyA[count] = hashA(text);
    keyB[count] = hashB(text);
    expiresAt[count] = entry.expiresAt;
    minRev[count] = entry.kind === "jti" ? 0 : entry.minRev;
    count++;
  }
  return { count, keyA, keyB, expiresAt, minRev };
}
