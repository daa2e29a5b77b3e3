/** Why a DPoP proof at `/token` was refused: the `error_code`s of the error table. */
export type DpopRefusal =
  | "dpop_proof_invalid"
  | "dpop_proof_replayed"
  | "dpop_required"
  | "dpop_key_mismatch"
  | "dpop_nonce_required";

/**
 * A refused proof. The token route answers it from the error table; kept free
 * of HTTP types so the proof rules sit below the HTTP edge.
 */
export class DpopProofError extends Error {
  override readonly name = "DpopProofError";

  constructor(
    readonly code: DpopRefusal,
    /** What was wrong, for `error_description`; the table's text when absent. Never echoes the proof. */
    readonly description?: string,
    /** A fresh server nonce, for `use_dpop_nonce` answers (the `DPoP-Nonce` header). */
    readonly nonce?: string,
  ) {
    super(description ?? code);
  }
}
