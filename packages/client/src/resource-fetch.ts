import type { DpopSigner } from "./dpop-signer.js";

/** What a resource call needs from its client. */
export interface ResourceFetchParts {
  readonly getToken: () => Promise<string>;
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly dpop?: DpopSigner;
}

/**
 * The headers that carry the JWT to a resource server: `Authorization: DPoP
 * <jwt>` with a fresh proof for this method and URL (`htm`, `htu`, `ath`)
 * when the client does DPoP, else `Authorization: Bearer <jwt>`.
 */
export async function credentialHeaders(
  parts: ResourceFetchParts,
  method: string,
  url: string,
): Promise<{ authorization: string; dpop?: string }> {
  const token = await parts.getToken();
  if (parts.dpop === undefined) return { authorization: `Bearer ${token}` };
  return { authorization: `DPoP ${token}`, dpop: await parts.dpop.proof(method.toUpperCase(), url, token) };
}

/**
 * A resource server asking for a nonce (RFC 9449 §9): 401 with
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce` header.
 */
function asksForNonce(response: Response): boolean {
  const challenge = response.headers.get("www-authenticate") ?? "";
  return response.status === 401 && /\berror="?use_dpop_nonce"?/i.test(challenge) && response.headers.has("dpop-nonce");
}

/** A body that can be sent twice: anything but a stream. */
function resendable(body: RequestInit["body"]): boolean {
  return !(typeof ReadableStream !== "undefined" && body instanceof ReadableStream);
}

/**
 * Calls a resource server with the client's JWT. With DPoP, every request
 * gets a fresh proof, the server's `DPoP-Nonce` is kept for later proofs, and
 * a `use_dpop_nonce` answer is retried once with the nonce it carries.
 */
export async function resourceFetch(
  parts: ResourceFetchParts,
  input: string | URL,
  init: RequestInit = {},
): Promise<Response> {
  const url = new URL(input).href;
  const method = (init.method ?? "GET").toUpperCase();
  const send = async (): Promise<Response> => {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(await credentialHeaders(parts, method, url))) {
      if (value !== undefined) headers.set(name, value);
    }
    const response = await parts.fetch(url, { ...init, method, headers });
    parts.dpop?.noteNonce(url, response.headers);
    return response;
  };
  const first = await send();
  if (parts.dpop === undefined || !asksForNonce(first) || !resendable(init.body)) return first;
  await first.body?.cancel();
  return send();
}
