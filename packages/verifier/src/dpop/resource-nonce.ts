import { randomBytes } from "node:crypto";
import { createStatelessNonces, dpopNonceKey, type StatelessNonces } from "@patgate/shared";
import type { DpopPolicy } from "./dpop-policy.js";

/**
 * The resource-server nonces of a verifier (RFC 9449 §9): the stateless
 * nonces of @patgate/shared, windows of `lifetimeSeconds`, under the
 * configured secret (every replica with it accepts the others' nonces) or a
 * random one of this process. Their purpose differs from the issuer's, so a
 * nonce from `/token` is never one here, even under the same secret.
 */
export function createResourceNonces(nonce: DpopPolicy["nonce"]): StatelessNonces | undefined {
  if (nonce === undefined) return undefined;
  const key = dpopNonceKey(nonce.secret ?? randomBytes(32));
  return createStatelessNonces({ keyOf: () => key, windowSeconds: nonce.lifetimeSeconds, purpose: "dpop-rs-nonce" });
}
