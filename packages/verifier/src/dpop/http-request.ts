import { VerifierError } from "../errors.js";

/** Request headers: Node's (`req.headers`, lower-case names) or a Fetch API `Headers`. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>> | Headers;

/** The request {@link Verifier.verifyRequest} checks. */
export interface VerifiableRequest {
  /** The HTTP method: the proof's `htm`. */
  readonly method: string;
  /**
   * The absolute URL the client called (`https://api.example.com/orders?x=1`):
   * the proof's `htu`. With the `publicUrl` option, only its path counts.
   */
  readonly url: string;
  readonly headers: RequestHeaders;
}

/** The credentials of an `Authorization` header, by scheme. */
export type Credentials = { readonly scheme: "Bearer" | "DPoP"; readonly token: string };

/** `Bearer` or `DPoP` (case-insensitive), then one RFC 6750 §2.1 `b64token`. */
const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i;

function headerOf(headers: RequestHeaders, name: string): string | readonly string[] | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  return (headers as Readonly<Record<string, string | readonly string[] | undefined>>)[name];
}

/** The credentials sent, or undefined with no `Authorization` header; `invalid_request` for any other shape. */
export function readCredentials(headers: RequestHeaders): Credentials | undefined {
  const header = headerOf(headers, "authorization");
  if (header === undefined) return undefined;
  if (typeof header !== "string") throw new VerifierError("invalid_request", "send one Authorization header");
  const match = AUTHORIZATION.exec(header);
  if (!match)
    throw new VerifierError("invalid_request", "the Authorization header must be 'Bearer <token>' or 'DPoP <token>'");
  return { scheme: match[1]?.toLowerCase() === "dpop" ? "DPoP" : "Bearer", token: match[2] as string };
}

/** Whether an `Authorization` header uses the DPoP scheme: adapters send those through `verifyRequest`. */
export function isDpopScheme(header: string | readonly string[] | undefined): boolean {
  return typeof header === "string" && /^dpop /i.test(header);
}

/**
 * The one `DPoP` header sent. Node joins repeated headers with ", " (Fetch's
 * `Headers` too), and a compact JWS holds neither: two proofs are refused.
 */
export function singleProof(headers: RequestHeaders): string {
  const raw = headerOf(headers, "dpop");
  if (raw === undefined || raw === "") throw invalidProof("a DPoP proof header is required with the DPoP scheme");
  if (typeof raw !== "string" || raw.includes(",")) throw invalidProof("send exactly one DPoP proof header");
  return raw;
}

/** The `htu` the proof must name: the request's URL, or its path under `publicUrl` behind a proxy. */
export function expectedHtu(url: string, publicUrl: string | undefined): string {
  if (publicUrl === undefined) return url;
  let path: string;
  try {
    path = new URL(url, "http://localhost").pathname;
  } catch {
    return "";
  }
  return `${publicUrl.replace(/\/+$/, "")}${path}`;
}

export function invalidProof(description: string): VerifierError {
  return new VerifierError("invalid_dpop_proof", description, { scheme: "DPoP" });
}
