import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  adminCall,
  boundExchange as exchangeBound,
  expectError,
  ISSUER,
  type TestIssuer,
  testIssuer,
} from "../app-fixture.js";

/**
 * The admin API and /introspect are resource servers too: a DPoP-bound JWT
 * opens them only as `DPoP <jwt>` with a proof for the request, never as
 * `Bearer` (a bound admin JWT copied from a log is worth nothing).
 */
let issuer: TestIssuer;
let holder: KeyPair;
let boundAdmin: string;

const boundExchange = (pat: string, audience?: string) => exchangeBound(issuer, holder, pat, audience);

beforeAll(async () => {
  issuer = await testIssuer();
  holder = await generateKeyPair("ES256");
  const { token } = await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["admin"] });
  boundAdmin = await boundExchange(token, issuer.config.adminAudience);
  expect(decodeJwt(boundAdmin).cnf).toBeDefined();
});

const withProof = async (jwt: string, method: string, htu: string, key: KeyPair = holder) => ({
  authorization: `DPoP ${jwt}`,
  dpop: await generateProof(key, htu, method, undefined, jwt),
});

describe("a DPoP-bound admin JWT at the admin API", () => {
  it("is refused as Bearer: 401 token_dpop_required with a DPoP challenge", async () => {
    const response = await adminCall(issuer.app, boundAdmin, "GET", "/admin/tokens");
    expectError(response, 401, "invalid_token", "token_dpop_required");
    expect(response.headers["www-authenticate"]).toMatch(/^DPoP error="invalid_token", .*algs="ES256 EdDSA/);
  });

  it("opens it as DPoP with a proof for the request (htu = PATGATE_ISSUER + path, query left out)", async () => {
    const headers = await withProof(boundAdmin, "GET", `${ISSUER}/admin/tokens`);
    const response = await issuer.app.inject({ method: "GET", url: "/admin/tokens?limit=5", headers });
    expect(response.statusCode).toBe(200);
  });

  it("refuses a replayed proof, a proof for another path or method, or by another key: 401 token_dpop_proof_invalid", async () => {
    const headers = await withProof(boundAdmin, "GET", `${ISSUER}/admin/tokens`);
    expect((await issuer.app.inject({ method: "GET", url: "/admin/tokens", headers })).statusCode).toBe(200);
    const other = await generateKeyPair("ES256");
    const attempts = [
      headers,
      await withProof(boundAdmin, "GET", `${ISSUER}/admin/audit`),
      await withProof(boundAdmin, "POST", `${ISSUER}/admin/tokens`),
      await withProof(boundAdmin, "GET", `${ISSUER}/admin/tokens`, other),
      { authorization: `DPoP ${boundAdmin}` },
    ];
    for (const attempt of attempts) {
      const response = await issuer.app.inject({ method: "GET", url: "/admin/tokens", headers: attempt });
      expectError(response, 401, "invalid_dpop_proof", "token_dpop_proof_invalid");
      expect(response.headers["www-authenticate"]).toMatch(/^DPoP error="invalid_dpop_proof"/);
    }
  });

  it("an unbound admin JWT still works as Bearer; no Authorization is still token_missing", async () => {
    expect((await adminCall(issuer.app, await issuer.adminJwt(), "GET", "/admin/tokens")).statusCode).toBe(200);
    expectError(await adminCall(issuer.app, null, "GET", "/admin/tokens"), 401, "invalid_token", "token_missing");
  });
});

describe("a DPoP-bound introspect JWT at /introspect", () => {
  it("is refused as Bearer and accepted as DPoP with a proof; a bound JWT in the body is introspected with its cnf", async () => {
    const { token } = await issuer.store.issue({ owner: "rs", roles: ["introspect"] });
    const caller = await boundExchange(token);
    const subject = await boundExchange((await issuer.store.issue({ owner: "alice", roles: ["read"] })).token);
    const introspect = (headers: Record<string, string>) =>
      issuer.app.inject({ method: "POST", url: "/introspect", headers, payload: { token: subject } });
    expectError(await introspect({ authorization: `Bearer ${caller}` }), 401, "invalid_token", "token_dpop_required");
    const answer = await introspect(await withProof(caller, "POST", `${ISSUER}/introspect`));
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ active: true, cnf: decodeJwt(subject).cnf });
  });
});
