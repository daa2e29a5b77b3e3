// The ways a resource server checks a DPoP-bound JWT with its proof: patgate's
// verifier (verifyRequest), oauth4webapi's validateJwtAccessToken with
// requireDPoP, and auth0's express-oauth2-jwt-bearer with dpop required.
import { createVerifier } from "@patgate/verifier";
import { auth } from "express-oauth2-jwt-bearer";
import type { JWK } from "jose";
import * as oauth from "oauth4webapi";

/** One request as a resource server sees it. */
export interface DpopRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface DpopContender {
  /** Whether it also verifies the bearer requests (the baseline); patgate's only. */
  readonly bearer: boolean;
  readonly fresh: () => (request: DpopRequest) => Promise<unknown>;
}

export interface DpopPeerSetup {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  readonly publicJwk: JWK;
}

/** Auth0's middleware called as Express would call it. */
function auth0(setup: DpopPeerSetup): (request: DpopRequest) => Promise<unknown> {
  const middleware = auth({
    issuer: setup.issuer,
    audience: setup.audience,
    jwksUri: setup.jwksUri,
    tokenSigningAlg: "EdDSA",
    dpop: { enabled: true, required: true },
  }) as unknown as (req: unknown, res: unknown, next: (error?: unknown) => void) => Promise<void>;
  return (request) =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url);
      const headers = request.headers;
      const req = {
        headers,
        method: request.method,
        protocol: url.protocol.slice(0, -1),
        host: url.host,
        hostname: url.hostname,
        originalUrl: url.pathname,
        url: url.pathname,
        query: {},
        is: () => false,
        get: (name: string) => headers[name.toLowerCase()],
      };
      void middleware(req, {}, (error) => (error ? reject(error) : resolve(req)));
    });
}

function viaOauth4webapi(setup: DpopPeerSetup): (request: DpopRequest) => Promise<unknown> {
  const as: oauth.AuthorizationServer = { issuer: setup.issuer, jwks_uri: setup.jwksUri };
  const jwks = JSON.stringify({ keys: [setup.publicJwk] });
  const options = {
    requireDPoP: true,
    [oauth.allowInsecureRequests]: true,
    [oauth.customFetch]: async () => new Response(jwks, { headers: { "content-type": "application/json" } }),
  };
  return (request) => oauth.validateJwtAccessToken(as, new Request(request.url, request), setup.audience, options);
}

export async function dpopContenders(setup: DpopPeerSetup): Promise<Record<string, DpopContender>> {
  const { issuer, audience, publicJwk } = setup;
  return {
    patgate: {
      bearer: true,
      fresh: () => createVerifier({ issuer, audience, jwks: { keys: [publicJwk] } }).verifyRequest,
    },
    "oauth4webapi (requireDPoP)": { bearer: false, fresh: () => viaOauth4webapi(setup) },
    "express-oauth2-jwt-bearer (dpop required)": { bearer: false, fresh: () => auth0(setup) },
  };
}
