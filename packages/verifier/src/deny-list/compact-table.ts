/**
 * An open-addressing hash table of deny-list fields (`jti:…`, `client:…`,
 * `sub:…`) held in typed arrays: per slot a 64-bit fingerprint of the field
 * (two independent 32-bit hashes), its expiry and its minimum revision, 24
 * bytes, and no JavaScript object or string per entry. A million entries take
 * 48 MB of array buffers outside the garbage-collected heap, so the major GCs
 * of a service never mark them, where a `Map` of entry objects took ~160 MB
 * of heap.
 *
 * The field text is not kept: two fields with the same 64-bit fingerprint
 * would share one slot. With a million entries the chance that a given JWT's
 * field collides with any of them is about 5·10⁻¹⁴ per lookup, and a
 * collision can only deny (a JWT wrongly rejected), never let a denied one through.
 */
import { hashA, hashB } from "./fingerprint.js";

/** Slot states in `expires`: a live slot holds the expiry (> 0). */
const EMPTY = 0;
const REMOVED = -1;
const MIN_CAPACITY = 64;

/** The first slot probed for fingerprint half `a`: its high bits folded into the low ones. */
function home(a: number, mask: number): number {
  return (a ^ (a >>> 15)) & mask;
}

/** What a slot holds: expiry (epoch seconds) and minimum revision (0 for a jti). */
export interface SlotValue {
  readonly expiresAt: number;
  readonly minRev: number;
}

export class CompactTable {
  #capacity = MIN_CAPACITY;
  #keyA = new Uint32Array(MIN_CAPACITY);
  #keyB = new Uint32Array(MIN_CAPACITY);
  #expires = new Float64Array(MIN_CAPACITY);
  #minRev = new Float64Array(MIN_CAPACITY);
  /** Live entries, and slots used (live or removed): the probe chains' length depends on the latter. */
  #size = 0;
  #used = 0;

  get size(): number {
    return this.#size;
  }

  /** The slot of `field` (a, b), or -1. */
  #find(a: number, b: number): number {
    const mask = this.#capacity - 1;
    for (let slot = home(a, mask); ; slot = (slot + 1) & mask) {
      const expires = this.#expires[slot] as number;
      if (expires === EMPTY) return -1;
      if (expires !== REMOVED && this.#keyA[slot] === a && this.#keyB[slot] === b) return slot;
    }
  }

  get(field: string): SlotValue | undefined {
    const slot = this.#find(hashA(field), hashB(field));
    if (slot < 0) return undefined;
    return { expiresAt: this.#expires[slot] as number, minRev: this.#minRev[slot] as number };
  }

  /**
   * Adds `field`, or grows what it holds: expiry and minimum revision only
   * ever grow (`mergeDenyEntry`'s rule). No allocation: a snapshot adds a million.
   */
  merge(field: string, expiresAt: number, minRev: number): void {
    this.mergeFingerprint(hashA(field), hashB(field), expiresAt, minRev);
  }

  /** {@link merge} by the field's fingerprint (`hashA`, `hashB`), as a snapshot read from bytes has it. */
  mergeFingerprint(a: number, b: number, expiresAt: number, minRev: number): void {
    const found = this.#find(a, b);
    if (found >= 0) {
      this.#write(
        found,
        a,
        b,
        Math.max(this.#expires[found] as number, expiresAt),
        Math.max(this.#minRev[found] as number, minRev),
      );
      return;
    }
    if ((this.#used + 1) * 2 > this.#capacity) this.#resize(this.#size + 1);
    const mask = this.#capacity - 1;
    let slot = home(a, mask);
    while ((this.#expires[slot] as number) > 0) slot = (slot + 1) & mask;
    if (this.#expires[slot] === EMPTY) this.#used += 1;
    this.#size += 1;
    this.#write(slot, a, b, expiresAt, minRev);
  }

  remove(field: string): void {
    const slot = this.#find(hashA(field), hashB(field));
    if (slot < 0) return;
    this.#expires[slot] = REMOVED;
    this.#size -= 1;
  }

  /** Removes every entry whose expiry is at or before `nowSeconds`. */
  removeExpired(nowSeconds: number): void {
    for (let slot = 0; slot < this.#capacity; slot++) {
      const expires = this.#expires[slot] as number;
      if (expires > 0 && expires <= nowSeconds) {
        this.#expires[slot] = REMOVED;
        this.#size -= 1;
      }
    }
    // Many removed slots lengthen every probe: rebuild when they outnumber the live ones.
    if (this.#used - this.#size > this.#size) this.#resize(this.#size);
  }

  /** Grows the table at once to hold `entries` more, rather than doubling step by step while a snapshot loads. */
  reserve(entries: number): void {
    if ((this.#used + entries) * 2 > this.#capacity) this.#resize(this.#size + entries);
  }

  clear(): void {
    this.#capacity = MIN_CAPACITY;
    this.#keyA = new Uint32Array(MIN_CAPACITY);
    this.#keyB = new Uint32Array(MIN_CAPACITY);
    this.#expires = new Float64Array(MIN_CAPACITY);
    this.#minRev = new Float64Array(MIN_CAPACITY);
    this.#size = 0;
    this.#used = 0;
  }

  #write(slot: number, a: number, b: number, expiresAt: number, minRev: number): void {
    this.#keyA[slot] = a;
    this.#keyB[slot] = b;
    // An expiry of 0 or less would read as an empty or removed slot; such an entry denies nothing anyway.
    this.#expires[slot] = Math.max(1, expiresAt);
    this.#minRev[slot] = minRev;
  }

  /** Rehashes the live entries into a table of at least twice `entries` slots (a power of two). */
  #resize(entries: number): void {
    let capacity = MIN_CAPACITY;
    while (capacity < entries * 2) capacity *= 2;
    const [keyA, keyB, expires, minRev] = [this.#keyA, this.#keyB, this.#expires, this.#minRev];
    const old = this.#capacity;
    this.#capacity = capacity;
    this.#keyA = new Uint32Array(capacity);
    this.#keyB = new Uint32Array(capacity);
    this.#expires = new Float64Array(capacity);
    this.#minRev = new Float64Array(capacity);
    const mask = capacity - 1;
    for (let from = 0; from < old; from++) {
      const value = expires[from] as number;
      if (value <= 0) continue;
      const a = keyA[from] as number;
      let slot = home(a, mask);
      while ((this.#expires[slot] as number) > 0) slot = (slot + 1) & mask;
      this.#keyA[slot] = a;
      this.#keyB[slot] = keyB[from] as number;
      this.#expires[slot] = value;
      this.#minRev[slot] = minRev[from] as number;
    }
    this.#used = this.#size;
  }
}
