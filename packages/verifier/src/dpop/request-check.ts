import { type StatelessNonces, verifyDpopProof } from "@patgate/shared";
import type { AuthContext } from "../auth-context.js";
import { VerifierError } from "../errors.js";
import type { DpopPolicy } from "./dpop-policy.js";
import { expectedHtu, invalidProof, singleProof, type VerifiableRequest } from "./http-request.js";
import type { ReplayStore } from "./replay-window.js";

/** The key a JWT is bound to (`cnf.jkt`), or undefined for a bearer JWT. */
export function boundKey(context: AuthContext): string | undefined {
  const cnf = (context.claims as { cnf?: unknown }).cnf;
  if (typeof cnf !== "object" || cnf === null) return undefined;
  const jkt = (cnf as { jkt?: unknown }).jkt;
  return typeof jkt === "string" ? jkt : undefined;
}

/** The same failure, answered with the `DPoP` challenge. */
export function withDpopChallenge(error: unknown): unknown {
  if (!(error instanceof VerifierError) || error.scheme === "DPoP") return error;
  return new VerifierError(error.code, error.message, {
    cause: error.cause,
    missingRoles: error.missingRoles,
    scheme: "DPoP",
  });
}

/**
 * The refusal of a JWT that came as `Bearer` (or to `verify(token)`) but must
 * come with a proof: it is bound, or the policy requires proofs of every JWT.
 */
export function bearerRefusal(context: AuthContext, policy: DpopPolicy): VerifierError | undefined {
  if (boundKey(context) !== undefined)
    return new VerifierError("dpop_required", "the token is bound to a key: send it as 'DPoP <token>' with a proof", {
      scheme: "DPoP",
    });
  if (policy.required)
    return new VerifierError("dpop_required", "send the token as 'DPoP <token>' with a DPoP proof", { scheme: "DPoP" });
  return undefined;
}

/** Checks the proof of a DPoP request for a JWT already verified (RFC 9449 §4.3, §7.1). */
export type ProofCheck = (request: VerifiableRequest, token: string, context: AuthContext) => Promise<void>;

/** Refuses a proof without a nonce these nonces accept: `use_dpop_nonce` with a fresh one (RFC 9449 §9). */
function checkNonce(nonces: StatelessNonces, nonce: string | undefined, nowMs: number): void {
  if (nonce !== undefined && nonces.accepts(nonce, nowMs)) return;
  throw new VerifierError(
    "use_dpop_nonce",
    nonce === undefined
      ? "the DPoP proof must carry the resource server's nonce"
      : "the DPoP proof's nonce is stale or not this server's; use the one in DPoP-Nonce",
    { scheme: "DPoP", dpopNonce: nonces.issue(nowMs) },
  );
}

/**
 * The proof check of a verifier: one `DPoP` header, the stateless rules of
 * `verifyDpopProof` (`typ`, asymmetric `alg`, public `jwk`, signature, `htm`,
 * `htu`, `iat`, `ath`), the key's thumbprint = the JWT's `cnf.jkt`, the
 * resource-server nonce when on, then the `jti` not seen before (by this
 * process, or by any replica through Redis). Throws `invalid_dpop_proof`
 * (or `use_dpop_nonce`).
 */
export function createProofCheck(
  replay: ReplayStore,
  publicUrl: string | undefined,
  now: () => number,
  policy: DpopPolicy,
  nonces?: StatelessNonces,
): ProofCheck {
  return async (request, token, context) => {
    const jkt = boundKey(context);
    if (jkt === undefined)
      throw new VerifierError("invalid_dpop_proof", "the token is not bound to a key: send it as 'Bearer <token>'", {
        scheme: "DPoP",
      });
    const proof = singleProof(request.headers);
    const nowMs = now();
    const check = await verifyDpopProof(proof, {
      method: typeof request.method === "string" ? request.method.toUpperCase() : "",
      url: expectedHtu(request.url, publicUrl),
      nowSeconds: Math.floor(nowMs / 1000),
      maxAgeSeconds: policy.maxAgeSeconds,
      accessToken: token,
    });
    if (!check.ok) throw invalidProof(check.description);
    if (check.proof.jkt !== jkt) throw invalidProof("the DPoP proof is not signed by the key the token is bound to");
    if (nonces) checkNonce(nonces, check.proof.nonce, nowMs);
    const answer = replay.firstUse(check.proof.jkt, check.proof.jti, nowMs);
    // The memory window answers at once: no promise on the fast path.
    const first = typeof answer === "object" ? await answer : answer;
    if (first === "full")
      throw new VerifierError("dpop_replay_full", "too many DPoP proofs to remember; retry shortly", {
        scheme: "DPoP",
      });
    if (!first) throw invalidProof("the DPoP proof has been used before");
  };
}
