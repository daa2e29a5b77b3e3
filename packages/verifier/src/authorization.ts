import type { AuthContext } from "./auth-context.js";
import type { DenyList } from "./deny-list/deny-list.js";
import { VerifierError } from "./errors.js";

/** A token whose signature and claims checked out, as the verified-token cache holds it. */
export interface Verified {
  readonly context: AuthContext;
  /** The deny-list version at which it was last found not denied. */
  notDeniedAt: number | undefined;
}

/** The checks made on every call, cached token or not: revocation, then roles. */
export interface Authorization {
  /** True once there is nothing to wait for: {@link authorizeNow} may be used. */
  readonly loaded: boolean;
  /** Authorizes; the first calls wait (at most 2 s) for the deny-list's first snapshot. */
  authorize(verified: Verified): Promise<AuthContext>;
  /** Authorizes without waiting; only once {@link loaded}. */
  authorizeNow(verified: Verified): AuthContext;
}

export interface AuthorizationOptions {
  readonly denyList: DenyList | undefined;
  readonly requiredRoles: readonly string[];
  readonly now: () => number;
}

/** Longest the first calls wait for the deny-list to load before failing closed. */
const FIRST_LOAD_WAIT_MS = 2000;

/** Resolves true when `ready` does within the wait, false when it does not; rejects with its failure. */
function loadedInTime(ready: Promise<void>): Promise<boolean> {
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), FIRST_LOAD_WAIT_MS).unref());
  return Promise.race([ready.then(() => true), timeout]);
}

/**
 * The per-call checks of a verifier. A deny-list that reports itself
 * unavailable fails closed (`deny_list_unavailable`); a token found not denied
 * is not looked up again until the list's `version` moves.
 *
 * @example createAuthorization({ denyList: createMemoryDenyList(), requiredRoles: ["read"], now: Date.now })
 */
export function createAuthorization(options: AuthorizationOptions): Authorization {
  const { denyList, requiredRoles, now } = options;
  // Nothing to wait for without a deny-list, or with one that has no `ready` promise.
  let loaded = denyList?.ready === undefined;

  async function waitForDenyList(ready: Promise<void>): Promise<void> {
    let inTime: boolean;
    try {
      inTime = await loadedInTime(ready);
    } catch (cause) {
      throw new VerifierError("deny_list_unavailable", "the deny-list could not be started", { cause });
    }
    if (!inTime) throw new VerifierError("deny_list_unavailable", "the deny-list has not loaded");
    loaded = true;
  }

  function checkDenyList(list: DenyList, verified: Verified): void {
    if (list.available && !list.available(now())) {
      throw new VerifierError(
        "deny_list_unavailable",
        "the deny-list is out of date (its source is unreachable); failing closed",
      );
    }
    // Not denied at this version means not denied until the version moves (see DenyList.version).
    const version = list.version;
    if (version !== undefined && version === verified.notDeniedAt) return;
    const { context } = verified;
    const denial = list.check(
      {
        jti: context.jti,
        sub: context.sub,
        client_id: context.tokenId,
        ...(context.claims.client_rev === undefined ? {} : { client_rev: context.claims.client_rev }),
        ...(context.claims.sub_rev === undefined ? {} : { sub_rev: context.claims.sub_rev }),
      },
      Math.floor(now() / 1000),
    );
    if (denial) throw new VerifierError("token_denied", "the token has been revoked");
    verified.notDeniedAt = version;
  }

  function authorizeNow(verified: Verified): AuthContext {
    if (denyList) checkDenyList(denyList, verified);
    const { context } = verified;
    if (requiredRoles.length === 0) return context;
    const missing = requiredRoles.filter((role) => !context.roles.includes(role));
    if (missing.length > 0)
      throw new VerifierError("insufficient_role", `missing role(s): ${missing.join(" ")}`, { missingRoles: missing });
    return context;
  }

  return {
    get loaded() {
      return loaded;
    },
    async authorize(verified) {
      if (!loaded && denyList?.ready) await waitForDenyList(denyList.ready);
      return authorizeNow(verified);
    },
    authorizeNow,
  };
}
