import { isIPv4, isIPv6 } from "node:net";

/**
 * A budget per client address, far below the general per-IP request limit,
 * for the work that costs the issuer scrypt: exchanges the verified-PAT
 * cache cannot serve (a first exchange, a forged or wrong PAT) and PATs
 * presented to `/revoke`. A token bucket per address: `perMinute` at once,
 * refilled at `perMinute` a minute. Counted in this process: scrypt is spent
 * per process, and a warm exchange never touches it.
 */
export interface AddressBudget {
  /** Takes one unit for `address`: 0 when taken, else whole seconds until one is there (nothing taken). */
  take(address: string): number;
  /**
   * Returns a unit taken for work that never ran (shed before scrypt, the
   * store away): a client retrying a shed first exchange must find its budget
   * where it was, or a burst of honest first exchanges from one address (a CI
   * fleet behind one NAT) turns into 429s. Never beyond a full bucket.
   */
  giveBack(address: string): void;
}

export interface AddressBudgetOptions {
  /** Units an address gets per minute, and at most at once. */
  readonly perMinute: number;
  /** Addresses remembered; past it, those whose bucket has refilled are forgotten first. Default 100 000. */
  readonly maxAddresses?: number;
  /** Current time, epoch ms; default `Date.now`. */
  readonly now?: () => number;
}

interface Bucket {
  units: number;
  at: number;
}

/**
 * The key an address is budgeted under: an IPv4 address itself (IPv4-mapped
 * IPv6 included), an IPv6 address by its /64, the smallest block a host is
 * usually given: one host could otherwise take a fresh budget per address.
 *
 * @example addressKey("2001:db8::1") // "2001:db8:0:0::/64"
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  const bare = address.toLowerCase().split("%")[0] ?? "";
  if (isIPv4(address) || !isIPv6(bare)) return address;
  const [head = "", tail] = bare.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  const prefix = groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, ""));
  return `${prefix.join(":")}::/64`;
}

/**
 * Creates the budget; bad options fail here.
 *
 * @example
 * const cold = createAddressBudget({ perMinute: 60 });
 * if (cold.take(request.ip) > 0) throw rateLimited(...);
 */
export function createAddressBudget(options: AddressBudgetOptions): AddressBudget {
  const { perMinute, maxAddresses = 100_000, now = Date.now } = options;
  if (!(perMinute >= 1)) throw new RangeError("perMinute must be at least 1");
  if (!Number.isInteger(maxAddresses) || maxAddresses < 1) throw new RangeError("maxAddresses must be an integer ≥ 1");
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, Bucket>();

  function level(bucket: Bucket, at: number): number {
    return Math.min(perMinute, bucket.units + (at - bucket.at) * perMs);
  }

  /** Keeps memory bounded under a flood of distinct addresses: full buckets first, then the oldest. */
  function prune(at: number): void {
    for (const [key, bucket] of buckets) if (level(bucket, at) >= perMinute) buckets.delete(key);
    const excess = buckets.size - Math.floor(maxAddresses * 0.9);
    if (excess <= 0) return;
    let dropped = 0;
    for (const key of buckets.keys()) {
      if (dropped++ >= excess) break;
      buckets.delete(key);
    }
  }

  return {
    take(address) {
      const key = addressKey(address);
      const at = now();
      const bucket = buckets.get(key);
      const units = bucket ? level(bucket, at) : perMinute;
      if (units < 1) return Math.max(1, Math.ceil((1 - units) / perMs / 1000));
      if (bucket) {
        bucket.units = units - 1;
        bucket.at = at;
      } else {
        if (buckets.size >= maxAddresses) prune(at);
        buckets.set(key, { units: units - 1, at });
      }
      return 0;
    },
    giveBack(address) {
      const bucket = buckets.get(addressKey(address));
      if (!bucket) return;
      const at = now();
      bucket.units = Math.min(perMinute, level(bucket, at) + 1);
      bucket.at = at;
    },
  };
}
