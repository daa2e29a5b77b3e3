import type { IncomingHttpHeaders } from "node:http";
import { MAX_DPOP_PROOF_LENGTH, verifyDpopProof } from "@patgate/shared";
import type { DpopConfig } from "../config/dpop-config.js";
import { DpopProofError } from "./dpop-proof-error.js";
import type { DpopNonces } from "./nonce.js";
import type { ProofReplayGuard } from "./proof-replay.js";

/**
 * The DPoP proof at `POST /token` (RFC 9449 §4.3 and §5): one `DPoP` header,
 * the stateless checks (`verifyDpopProof` of `@patgate/shared`: `typ`, `alg`,
 * public `jwk`, signature, `htm` POST, `htu` the issuer's `/token`, `iat`),
 * then the server nonce when configured, then the replay of `jti` by any
 * issuer sharing the replay guard. Cheap checks first: a huge or malformed
 * proof costs no crypto, and only a proof whose signature verified reaches Redis.
 */
export interface TokenProofCheck {
  /** The thumbprint of the proof's key, or undefined when no proof was sent (and none is required). Throws a DpopProofError. */
  check(headers: IncomingHttpHeaders, nowMs: number): Promise<string | undefined>;
  /** A fresh nonce for the `DPoP-Nonce` header, when nonces are on. */
  nonce(nowMs: number): string | undefined;
}

export interface TokenProofOptions {
  readonly config: DpopConfig;
  /** `PATGATE_ISSUER`: the proof's `htu` must be it plus `/token`. */
  readonly issuer: string;
  readonly replay: ProofReplayGuard;
  /** Present when `config.nonce` is on. */
  readonly nonces?: DpopNonces;
}

const invalidProof = (description: string) => new DpopProofError("dpop_proof_invalid", description);

/**
 * The one proof sent, or undefined. Node joins repeated headers with ", ", and
 * a compact JWS holds neither: a comma means two proofs, which §4.3 refuses.
 */
function singleProof(headers: IncomingHttpHeaders): string | undefined {
  const raw = headers.dpop;
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) {
    if (raw.length !== 1) throw invalidProof("send exactly one DPoP header");
    return singleProof({ dpop: raw[0] });
  }
  if (raw.length > MAX_DPOP_PROOF_LENGTH) throw invalidProof("the DPoP proof is too large");
  if (raw.includes(",")) throw invalidProof("send exactly one DPoP header");
  if (raw.trim() === "") throw invalidProof("the DPoP header is empty");
  return raw.trim();
}

/** The proof check of `/token` (see {@link TokenProofCheck}). */
export function createTokenProofCheck(options: TokenProofOptions): TokenProofCheck {
  const { config, replay, nonces } = options;
  const url = `${options.issuer}/token`;
  const nonceRequired = (nowMs: number, description: string) =>
    new DpopProofError("dpop_nonce_required", description, nonces?.issue(nowMs) ?? "");

  return {
    async check(headers, nowMs) {
      const proof = singleProof(headers);
      if (proof === undefined) {
        if (config.mode === "required") throw new DpopProofError("dpop_required", "a DPoP proof is required");
        return undefined;
      }
      const nowSeconds = Math.floor(nowMs / 1000);
      const checked = await verifyDpopProof(proof, {
        method: "POST",
        url,
        nowSeconds,
        maxAgeSeconds: config.maxAgeSeconds,
      });
      if (!checked.ok) throw invalidProof(checked.description);
      if (nonces) {
        if (checked.proof.nonce === undefined) throw nonceRequired(nowMs, "the DPoP proof must carry a server nonce");
        if (!nonces.accepts(checked.proof.nonce, nowMs))
          throw nonceRequired(nowMs, "the DPoP proof's nonce is stale; use the one in DPoP-Nonce");
      }
      if (!(await replay.firstUse(checked.proof.jkt, checked.proof.jti, nowMs)))
        throw new DpopProofError("dpop_proof_replayed");
      return checked.proof.jkt;
    },
    nonce: (nowMs) => nonces?.issue(nowMs),
  };
}
