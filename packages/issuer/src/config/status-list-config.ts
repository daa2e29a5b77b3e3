import { type Env, fail, integer } from "../env-values.js";

/** The Token Status List (draft-ietf-oauth-status-list; see docs/status-list.md). */
export interface StatusListConfig {
  /** `PATGATE_STATUS_LIST=on`: every JWT carries a `status` claim and `GET /statuslists/{n}` serves the lists. */
  readonly enabled: boolean;
  /** `PATGATE_STATUS_LIST_TTL`: the lists' `ttl` claim and `Cache-Control` max-age, seconds. Default 30. */
  readonly ttlSeconds: number;
}

function enabled(env: Env): boolean {
  const raw = env.PATGATE_STATUS_LIST?.trim().toLowerCase();
  if (raw === undefined || raw === "" || raw === "off") return false;
  if (raw === "on") return true;
  return fail("PATGATE_STATUS_LIST", "must be on or off", raw);
}

/** `PATGATE_STATUS_LIST`, `PATGATE_STATUS_LIST_TTL`. */
export function readStatusListConfig(env: Env): { readonly statusList: StatusListConfig } {
  return {
    statusList: {
      enabled: enabled(env),
      ttlSeconds: integer(env, "PATGATE_STATUS_LIST_TTL", 30, 1, 86_400, " number of seconds"),
    },
  };
}
