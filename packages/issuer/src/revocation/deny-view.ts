import type { RevocationEvent } from "@patgate/shared";
import { createMemoryDenyList, type DenyList } from "@patgate/verifier";

/**
 * The issuer's own view of the deny-list, fed by revocation events: it
 * rejects denied JWTs on the admin API and `/introspect`. It is the
 * verifier's in-memory list (the same merge rule as Redis and every
 * verifier), fed from the issuer's revocation feed.
 */
export interface DenyView extends DenyList {
  apply(event: RevocationEvent): void;
  readonly size: number;
}

export function createDenyView(): DenyView {
  const list = createMemoryDenyList();
  return {
    apply(event) {
      if (event.type === "deny") list.add(event.entry);
    },
    check: (claims, nowSeconds) => list.check(claims, nowSeconds),
    get version() {
      return list.version;
    },
    get size() {
      return list.size;
    },
  };
}
