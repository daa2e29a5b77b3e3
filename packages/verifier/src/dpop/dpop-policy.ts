/**
 * The DPoP policy the core verifier checks by. Apart from the option types
 * (`dpop-options.ts`) so that the core reaches no Redis type: where used proofs
 * are remembered is decided when the verifier is built.
 */
export interface DpopPolicy {
  readonly required: boolean;
  readonly maxAgeSeconds: number;
  readonly replayCapacity: number;
  /** Resolved resource-server nonces, or undefined when off. */
  readonly nonce?: { readonly secret?: string; readonly lifetimeSeconds: number };
}
