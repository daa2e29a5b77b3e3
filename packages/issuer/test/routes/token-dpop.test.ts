import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { base64url, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair as joseKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, expectError, ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";

const TOKEN_URL = `${ISSUER}/token`;
const EXCHANGE = {
  grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
  subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
};

async function thumbprint(keyPair: KeyPair): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
}

function post(issuer: TestIssuer, pat: string, dpop?: string | string[]) {
  return issuer.app.inject({
    method: "POST",
    url: "/token",
    headers: dpop === undefined ? {} : { dpop },
    payload: { ...EXCHANGE, subject_token: pat },
  });
}

/** A proof signed with jose, for the hostile shapes panva's dpop refuses to make. */
async function handMade(header: Record<string, unknown>, claims: Record<string, unknown> = {}) {
  const { privateKey, publicKey } = await joseKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(publicKey);
  return new SignJWT({
    htm: "POST",
    htu: TOKEN_URL,
    jti: crypto.randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ...claims,
  })
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk, ...header })
    .sign(privateKey);
}

describe("POST /token with a DPoP proof", () => {
  let issuer: TestIssuer;
  let pat: string;
  let keyPair: KeyPair;
  /** Shifts the issuer's clock (proofs are made with the real one). */
  let skewMs = 0;

  beforeAll(async () => {
    issuer = await testIssuer({}, { now: () => Date.now() + skewMs });
    pat = (await issuer.store.issue({ owner: "alice", roles: ["read"] })).token;
    keyPair = await generateKeyPair("ES256");
  });
  afterAll(() => issuer.app.close());

  it("binds the JWT to the proof's key: cnf.jkt and token_type DPoP", async () => {
    const response = await post(issuer, pat, await generateProof(keyPair, TOKEN_URL, "POST"));
    expect(response.statusCode).toBe(200);
    expect(response.json().token_type).toBe("DPoP");
    const claims = await issuer.verifyWithJwks(response.json().access_token);
    expect(claims.cnf).toEqual({ jkt: await thumbprint(keyPair) });
  });

  it("answers a bearer JWT, as before, without a proof", async () => {
    const response = await post(issuer, pat);
    expect(response.statusCode).toBe(200);
    expect(response.json().token_type).toBe("Bearer");
    expect(decodeJwt(response.json().access_token).cnf).toBeUndefined();
    expect(response.headers["dpop-nonce"]).toBeUndefined();
  });

  it.each(["ES256", "Ed25519", "RS256", "PS256"] as const)("accepts %s proofs from panva's dpop", async (alg) => {
    const keys = await generateKeyPair(alg);
    const response = await post(issuer, pat, await generateProof(keys, "https://ISSUER.test:443/./token?x=1", "POST"));
    expect(response.statusCode).toBe(200);
    expect(decodeJwt(response.json().access_token).cnf).toEqual({ jkt: await thumbprint(keys) });
  });

  it("refuses a replayed proof", async () => {
    const proof = await generateProof(keyPair, TOKEN_URL, "POST");
    expect((await post(issuer, pat, proof)).statusCode).toBe(200);
    expectError(await post(issuer, pat, proof), 400, "invalid_dpop_proof", "dpop_proof_replayed");
  });

  it("introspects a bound JWT with its cnf", async () => {
    const jwt = (await post(issuer, pat, await generateProof(keyPair, TOKEN_URL, "POST"))).json().access_token;
    const response = await issuer.app.inject({
      method: "POST",
      url: "/introspect",
      headers: { authorization: `Bearer ${await issuer.adminJwt()}` },
      payload: { token: jwt },
    });
    expect(response.json()).toMatchObject({
      active: true,
      token_type: "DPoP",
      cnf: { jkt: await thumbprint(keyPair) },
    });
  });

  it("lists the proof algorithms in the metadata", async () => {
    const metadata = (await issuer.app.inject({ url: "/.well-known/oauth-authorization-server" })).json();
    expect(metadata.dpop_signing_alg_values_supported).toEqual(["ES256", "EdDSA", "Ed25519", "RS256", "PS256"]);
  });

  describe("refuses every hostile proof with a 400 invalid_dpop_proof", () => {
    const none = () => {
      const part = (value: object) => base64url.encode(JSON.stringify(value));
      const claims = { htm: "POST", htu: TOKEN_URL, jti: "n1", iat: Math.floor(Date.now() / 1000) };
      return `${part({ alg: "none", typ: "dpop+jwt", jwk: { kty: "EC" } })}.${part(claims)}.`;
    };
    const cases: [string, () => Promise<string | string[]>][] = [
      ["alg none", async () => none()],
      [
        "HS256",
        async () =>
          new SignJWT({ htm: "POST", htu: TOKEN_URL, jti: "h1", iat: Math.floor(Date.now() / 1000) })
            .setProtectedHeader({
              alg: "HS256",
              typ: "dpop+jwt",
              jwk: { kty: "oct", k: "c2VjcmV0" } as Record<string, string>,
            })
            .sign(new TextEncoder().encode("a-shared-secret-of-32-bytes-long")),
      ],
      [
        "a private key in jwk",
        async () => {
          const { privateKey } = await joseKeyPair("ES256", { extractable: true });
          const jwk = await exportJWK(privateKey);
          return new SignJWT({ htm: "POST", htu: TOKEN_URL, jti: "p1", iat: Math.floor(Date.now() / 1000) })
            .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
            .sign(privateKey);
        },
      ],
      ["a huge jwk", async () => handMade({ jwk: { kty: "EC", crv: "P-256", x: "x".repeat(1600), y: "y" } })],
      ["typ JWT", async () => handMade({ typ: "JWT" })],
      ["a wrong htu", async () => generateProof(keyPair, "https://issuer.test/revoke", "POST")],
      ["another host", async () => generateProof(keyPair, "https://evil.test/token", "POST")],
      ["a wrong htm", async () => generateProof(keyPair, TOKEN_URL, "GET")],
      ["no jti", async () => handMade({}, { jti: undefined })],
      [
        "two DPoP headers",
        async () => [await generateProof(keyPair, TOKEN_URL, "POST"), await generateProof(keyPair, TOKEN_URL, "POST")],
      ],
      ["two proofs joined", async () => `${await generateProof(keyPair, TOKEN_URL, "POST")}, x.y.z`],
      ["a proof of 100 kB", async () => `${"a".repeat(100_000)}.b.c`],
      ["garbage", async () => "not-a-jws"],
      ["an empty header", async () => " "],
    ];
    it.each(cases)("%s", async (_name, make) => {
      const started = performance.now();
      const response = await post(issuer, pat, await make());
      expectError(response, 400, "invalid_dpop_proof", "dpop_proof_invalid");
      expect(response.json().access_token).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it.each([
      ["old", 61_000],
      ["future", -61_000],
    ])("an iat too %s for the issuer's clock", async (_name, skew) => {
      const proof = await generateProof(keyPair, TOKEN_URL, "POST");
      skewMs = skew;
      try {
        expectError(await post(issuer, pat, proof), 400, "invalid_dpop_proof", "dpop_proof_invalid");
      } finally {
        skewMs = 0;
      }
      // The same proof, within the window: accepted (the refusal was the clock, not the proof).
      expect((await post(issuer, pat, proof)).statusCode).toBe(200);
    });
  });
});

describe("PATs bound to a key", () => {
  let issuer: TestIssuer;
  let admin: string;
  let keyPair: KeyPair;
  let other: KeyPair;

  beforeAll(async () => {
    issuer = await testIssuer();
    admin = await issuer.adminJwt();
    [keyPair, other] = await Promise.all([generateKeyPair("ES256"), generateKeyPair("Ed25519")]);
  });
  afterAll(() => issuer.app.close());

  async function active(jwt: string): Promise<boolean> {
    const response = await issuer.app.inject({
      method: "POST",
      url: "/introspect",
      headers: { authorization: `Bearer ${admin}` },
      payload: { token: jwt },
    });
    return response.json().active as boolean;
  }

  async function create(body: Record<string, unknown>) {
    const response = await adminCall(issuer.app, admin, "POST", "/admin/tokens", {
      owner: "ci",
      roles: ["deploy"],
      ...body,
    });
    expect(response.statusCode).toBe(201);
    return response.json() as { token: string; record: Record<string, unknown> };
  }

  it("needs a proof by the bound key (dpopJkt), and says which rule failed", async () => {
    const jkt = await thumbprint(keyPair);
    const { token, record } = await create({ dpopJkt: jkt });
    expect(record.dpopJkt).toBe(jkt);
    expectError(await post(issuer, token), 400, "invalid_dpop_proof", "dpop_required");
    const wrong = await post(issuer, token, await generateProof(other, TOKEN_URL, "POST"));
    expectError(wrong, 400, "invalid_dpop_proof", "dpop_key_mismatch");
    const right = await post(issuer, token, await generateProof(keyPair, TOKEN_URL, "POST"));
    expect(right.statusCode).toBe(200);
    expect(decodeJwt(right.json().access_token).cnf).toEqual({ jkt });
    // Served from the PAT cache now: the binding holds there too.
    expectError(await post(issuer, token), 400, "invalid_dpop_proof", "dpop_required");
    expect(issuer.audit.some((line) => line.reason === "dpop_key_mismatch")).toBe(true);
  });

  it("binds on first use: the first proof's key, then only that key", async () => {
    const { token, record } = await create({ dpop: "bind_on_first_use" });
    expect(record).toMatchObject({ dpopBindOnFirstUse: true });
    expect(record.dpopJkt).toBeUndefined();
    expectError(await post(issuer, token), 400, "invalid_dpop_proof", "dpop_required");
    expect((await post(issuer, token, await generateProof(other, TOKEN_URL, "POST"))).statusCode).toBe(200);
    const stored = await issuer.store.get(record.tokenId as string);
    expect(stored).toMatchObject({ dpopJkt: await thumbprint(other) });
    expect(stored?.dpopBindOnFirstUse).toBeUndefined();
    const later = await post(issuer, token, await generateProof(keyPair, TOKEN_URL, "POST"));
    expectError(later, 400, "invalid_dpop_proof", "dpop_key_mismatch");
  });

  it("refuses a malformed dpopJkt and both kinds of binding at once", async () => {
    const bad = await adminCall(issuer.app, admin, "POST", "/admin/tokens", { owner: "ci", dpopJkt: "nope" });
    expectError(bad, 400, "invalid_request", "field_invalid");
    expect(bad.json().field).toBe("dpopJkt");
    const both = await adminCall(issuer.app, admin, "POST", "/admin/tokens", {
      owner: "ci",
      dpopJkt: await thumbprint(keyPair),
      dpop: "bind_on_first_use",
    });
    expectError(both, 400, "invalid_request", "field_invalid");
  });

  it("keeps the binding through a rotation", async () => {
    const { record } = await create({ dpopJkt: await thumbprint(keyPair) });
    const rotated = await adminCall(issuer.app, admin, "POST", `/admin/tokens/${record.tokenId}/rotate`, {});
    expect(rotated.statusCode).toBe(200);
    const token = rotated.json().token as string;
    expectError(await post(issuer, token), 400, "invalid_dpop_proof", "dpop_required");
    expect((await post(issuer, token, await generateProof(keyPair, TOKEN_URL, "POST"))).statusCode).toBe(200);
  });

  it("rebinding denies the JWTs bound to the old key, like a role removal", async () => {
    const { token, record } = await create({ dpopJkt: await thumbprint(keyPair) });
    const old = (await post(issuer, token, await generateProof(keyPair, TOKEN_URL, "POST"))).json().access_token;
    const patched = await adminCall(issuer.app, admin, "PATCH", `/admin/tokens/${record.tokenId}`, {
      dpopJkt: await thumbprint(other),
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().record.dpopJkt).toBe(await thumbprint(other));
    expect(await active(old)).toBe(false);
    // The cache dropped the PAT: the old key no longer exchanges it, the new one does.
    expectError(
      await post(issuer, token, await generateProof(keyPair, TOKEN_URL, "POST")),
      400,
      "invalid_dpop_proof",
      "dpop_key_mismatch",
    );
    const fresh = (await post(issuer, token, await generateProof(other, TOKEN_URL, "POST"))).json().access_token;
    expect(await active(fresh)).toBe(true);
  });
});

describe("PATGATE_DPOP=required", () => {
  it("refuses every exchange without a proof, and answers one with a proof", async () => {
    const issuer = await testIssuer({ PATGATE_DPOP: "required" });
    try {
      const { token } = await issuer.store.issue({ owner: "alice" });
      expectError(await post(issuer, token), 400, "invalid_dpop_proof", "dpop_required");
      const response = await post(
        issuer,
        token,
        await generateProof(await generateKeyPair("ES256"), TOKEN_URL, "POST"),
      );
      expect(response.statusCode).toBe(200);
      expect(response.json().token_type).toBe("DPoP");
    } finally {
      await issuer.app.close();
    }
  });
});
