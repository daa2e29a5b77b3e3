import type { TokenRecord, TokenStore } from "../tokens/types.js";

/** Why a PAT's key binding refused an exchange. */
export type BindingFailure = { readonly reason: "dpop_required" | "dpop_key_mismatch" };

/** The record to mint from, and the key its JWT is bound to (absent: a bearer JWT). */
export type BindingGrant = { readonly record: TokenRecord; readonly jkt?: string };

/**
 * The key binding of a verified PAT against the proof sent with it (its
 * key's thumbprint, or none):
 * - bound (`dpopJkt`): a proof by that key, or `dpop_required` / `dpop_key_mismatch`;
 * - waiting for its first use: a proof is required, and its key is recorded
 *   by a conditional write (the store's `bindDpopKey`); a proof by another key
 *   than the winner of a race is a mismatch;
 * - not bound: any proof binds the JWT alone; no proof, a bearer JWT.
 * A waiting record read from the PAT cache is bound through the store too,
 * so a stale cached record never grants a second key.
 */
export async function checkBinding(
  store: Pick<TokenStore, "bindDpopKey">,
  record: TokenRecord,
  jkt: string | undefined,
): Promise<BindingFailure | BindingGrant> {
  if (record.dpopJkt !== undefined) {
    if (jkt === undefined) return { reason: "dpop_required" };
    return jkt === record.dpopJkt ? { record, jkt } : { reason: "dpop_key_mismatch" };
  }
  if (record.dpopBindOnFirstUse) {
    if (jkt === undefined) return { reason: "dpop_required" };
    const binding = await store.bindDpopKey(record.tokenId, jkt);
    if (binding.record.dpopJkt === undefined) return { reason: "dpop_required" };
    return binding.record.dpopJkt === jkt ? { record: binding.record, jkt } : { reason: "dpop_key_mismatch" };
  }
  return jkt === undefined ? { record } : { record, jkt };
}
