import { createVerifier, type Verifier } from "@patgate/verifier";
import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { decodeJwt } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";

/**
 * A JWT the real issuer bound to a key, presented with proofs from panva's
 * `dpop` to two resource servers: patgate's verifier and one built with
 * oauth4webapi's validateJwtAccessToken (requireDPoP). Both must accept it
 * with a proof and refuse it without.
 */
/** The issuer's first audience, where a JWT exchanged without one is for. */
const AUDIENCE = "patgate";
const RESOURCE = "https://api.test/orders";

let issuer: TestIssuer;
let holder: KeyPair;
let jwt: string;
let verifier: Verifier;

/** Serves the issuer's JWKS to oauth4webapi through the app itself. */
const throughApp = async (input: string): Promise<Response> => {
  const url = new URL(input);
  const answer = await issuer.app.inject({ method: "GET", url: url.pathname });
  return new Response(answer.body, { status: answer.statusCode, headers: { "content-type": "application/json" } });
};

beforeAll(async () => {
  issuer = await testIssuer();
  holder = await generateKeyPair("ES256");
  const { token: pat } = await issuer.store.issue({ owner: "alice", roles: ["read"] });
  const response = await issuer.app.inject({
    method: "POST",
    url: "/token",
    headers: { dpop: await generateProof(holder, `${ISSUER}/token`, "POST") },
    payload: {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      subject_token: pat,
    },
  });
  expect(response.json().token_type).toBe("DPoP");
  jwt = response.json().access_token;
  const jwks = (await issuer.app.inject({ url: "/.well-known/jwks.json" })).json();
  verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks });
});
afterAll(() => issuer.app.close());

async function request(scheme: "DPoP" | "Bearer"): Promise<Request> {
  const headers = new Headers({ authorization: `${scheme} ${jwt}` });
  if (scheme === "DPoP") headers.set("dpop", await generateProof(holder, RESOURCE, "GET", undefined, jwt));
  return new Request(RESOURCE, { headers });
}

function viaOauth4webapi(req: Request) {
  const as: oauth.AuthorizationServer = { issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks.json` };
  return oauth.validateJwtAccessToken(as, req, AUDIENCE, {
    requireDPoP: true,
    [oauth.customFetch]: throughApp,
  });
}

describe("a DPoP-bound JWT from the issuer at resource servers", () => {
  it("is accepted by patgate's verifier with a proof, refused as Bearer", async () => {
    const req = await request("DPoP");
    const auth = await verifier.verifyRequest({ method: req.method, url: req.url, headers: req.headers });
    expect(auth.claims).toMatchObject({ cnf: decodeJwt(jwt).cnf });
    await expect(
      verifier.verifyRequest({ method: "GET", url: RESOURCE, headers: (await request("Bearer")).headers }),
    ).rejects.toMatchObject({ code: "dpop_required", status: 401 });
  });

  it("is accepted by oauth4webapi's validateJwtAccessToken(requireDPoP) with a proof, refused as Bearer", async () => {
    const claims = await viaOauth4webapi(await request("DPoP"));
    expect(claims.sub).toBe("alice");
    expect(claims.cnf).toEqual(decodeJwt(jwt).cnf);
    await expect(viaOauth4webapi(await request("Bearer"))).rejects.toThrow();
  });
});
