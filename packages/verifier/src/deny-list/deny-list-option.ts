import { errorText, type VerifierLogger } from "../logger.js";
import type { DenyList } from "./deny-list.js";
import { createRedisDenyList, type RedisDenyListOptions } from "./redis-deny-list.js";

/**
 * What `createVerifier`'s `denyList` option takes: a ready {@link DenyList},
 * or the shorthand `{ redis: url | ioredisClient, keyPrefix?, ... }` that
 * follows the issuer's deny-list in Redis.
 *
 * @example createVerifier({ issuer, audience, jwksUri, denyList: { redis: "redis://redis:6379" } })
 */
export type DenyListOption = DenyList | RedisDenyListOptions;

/** A deny-list the verifier was given, or the one it made from the shorthand (and so closes). */
export interface ResolvedDenyList {
  readonly list: DenyList;
  readonly owned: boolean;
}

function isDenyList(value: unknown): value is DenyList {
  return typeof (value as DenyList | null)?.check === "function";
}

/** Whether `value` is a DenyList or the Redis shorthand (what `checkOptions` accepts). */
export function isDenyListOption(value: unknown): value is DenyListOption {
  if (isDenyList(value)) return true;
  const redis = (value as RedisDenyListOptions | null)?.redis;
  return typeof redis === "string" || (typeof redis === "object" && redis !== null);
}

/**
 * The deny-list for the option. The Redis shorthand becomes a list that
 * stands in at once for the one still being built (ioredis is loaded on
 * demand): it is unavailable until built, its `ready` settles with the
 * first snapshot, and rejects with the reason when it cannot be built at all.
 */
export function resolveDenyList(
  option: DenyListOption,
  context: { readonly logger: VerifierLogger | undefined; readonly now: () => number },
): ResolvedDenyList {
  if (isDenyList(option)) return { list: option, owned: false };
  const { logger, now } = context;
  const building = createRedisDenyList({ now, ...(logger ? { logger } : {}), ...option });
  building.catch((error: unknown) => {
    // Nothing awaits the list at start-up: say it once here, or nobody learns why every verify fails.
    logger?.warn(
      `@patgate/verifier: the deny-list could not start (${errorText(error)}); ` +
        "verify answers deny_list_unavailable (503)",
    );
  });
  return { list: standIn(building), owned: true };
}

/** A DenyList answering for `building` once it is there; unavailable before. */
function standIn(building: Promise<DenyList>): DenyList {
  let list: DenyList | undefined;
  const ready = building.then(async (built) => {
    list = built;
    await built.ready;
  });
  ready.catch(() => {});
  return {
    ready,
    check: (claims, nowSeconds) => list?.check(claims, nowSeconds),
    available: (nowMs) => list !== undefined && (list.available?.(nowMs) ?? true),
    get version() {
      return list?.version;
    },
    async close() {
      await (await building.catch(() => undefined))?.close?.();
    },
  };
}
