/**
 * `statusList` option of `createVerifier`: follow the issuer's Token Status
 * List (draft-ietf-oauth-status-list) over HTTPS, for services that cannot
 * reach the deployment's Redis.
 */
export type StatusListOption =
  | true
  | {
      /**
       * Longest a list may go without a successful refresh before tokens that
       * point at it are refused (`status_list_unavailable`), seconds; default 300.
       */
      readonly maxStalenessSeconds?: number;
      /** Timeout of one list request; default 5000 ms. */
      readonly timeoutMs?: number;
      /** The fetch to use; default the global one. */
      readonly fetch?: typeof fetch;
    };

/** The option resolved: every field set. */
export interface StatusListSettings {
  readonly maxStalenessMs: number;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
}

/** What is wrong with a `statusList` option, or undefined. */
export function statusListOptionProblem(option: unknown): string | undefined {
  if (option === true) return undefined;
  if (typeof option !== "object" || option === null) return "must be true or { maxStalenessSeconds?, timeoutMs? }";
  const { maxStalenessSeconds, timeoutMs, fetch: fetchImpl } = option as Record<string, unknown>;
  if (
    maxStalenessSeconds !== undefined &&
    (typeof maxStalenessSeconds !== "number" || !Number.isFinite(maxStalenessSeconds) || maxStalenessSeconds < 1)
  )
    return "maxStalenessSeconds must be a number of seconds, at least 1";
  if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 1))
    return "timeoutMs must be a positive number of milliseconds";
  if (fetchImpl !== undefined && typeof fetchImpl !== "function") return "fetch must be a function";
  return undefined;
}

export function resolveStatusListOption(option: StatusListOption): StatusListSettings {
  const given = option === true ? {} : option;
  return {
    maxStalenessMs: (given.maxStalenessSeconds ?? 300) * 1000,
    timeoutMs: given.timeoutMs ?? 5000,
    fetch: given.fetch ?? fetch,
  };
}
