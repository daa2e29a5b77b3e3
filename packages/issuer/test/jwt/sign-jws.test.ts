import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier } from "@patgate/verifier";
import { createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { mintAccessToken } from "../../src/jwt/mint-access-token.js";
import { importJwsKey, signJws } from "../../src/jwt/sign-jws.js";
import { generateSigningJwk, loadSigningKeys } from "../../src/jwt/signing-keys.js";

const ISSUER = "https://issuer.test";
const ALGS = ["EdDSA", "ES256", "RS256"] as const;

async function keysFor(alg: (typeof ALGS)[number]) {
  const path = join(await mkdtemp(join(tmpdir(), "patgate-sign-")), "signing-keys.json");
  return loadSigningKeys({ path, generate: true, algorithm: alg, jwtTtlSeconds: 300 });
}

describe("signing with node:crypto", () => {
  it.each(ALGS)("mints %s tokens that jose's jwtVerify and @patgate/verifier accept", async (alg) => {
    const keys = await keysFor(alg);
    const nowMs = Date.now();
    const minted = mintAccessToken(keys, {
      issuer: ISSUER,
      audience: "patgate",
      owner: "alice",
      tokenId: "0123456789abcdefghijk",
      roles: ["read", "write"],
      ttlSeconds: 300,
      nowMs,
      revision: 3,
      ownerRevision: 1,
    });
    const jwks = keys.publicJwks(Math.floor(nowMs / 1000));
    expect(decodeProtectedHeader(minted.token)).toEqual({ alg, kid: minted.kid, typ: "at+jwt" });
    const { payload } = await jwtVerify(minted.token, createLocalJWKSet({ keys: [...jwks.keys] }), {
      issuer: ISSUER,
      audience: "patgate",
      typ: "at+jwt",
      algorithms: [alg],
      requiredClaims: ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"],
    });
    expect(payload).toEqual({
      client_id: "0123456789abcdefghijk",
      roles: ["read", "write"],
      scope: "read write",
      client_rev: 3,
      sub_rev: 1,
      iss: ISSUER,
      sub: "alice",
      aud: "patgate",
      iat: minted.iat,
      exp: minted.exp,
      jti: minted.jti,
    });
    const verifier = createVerifier({ issuer: ISSUER, audience: "patgate", jwks: { keys: [...jwks.keys] } });
    await expect(verifier.verify(minted.token)).resolves.toMatchObject({
      sub: "alice",
      tokenId: "0123456789abcdefghijk",
      jti: minted.jti,
    });
  });

  it.each(["EdDSA", "RS256"] as const)(
    "writes the very bytes jose's SignJWT writes (%s is deterministic)",
    async (alg) => {
      const jwk = await generateSigningJwk(alg);
      const header = { alg, kid: jwk.kid, typ: "at+jwt" };
      const payload = { client_id: "x", roles: ["a", "é"], scope: "a é", iss: ISSUER, sub: "s", aud: "patgate" };
      const ours = signJws(importJwsKey(jwk), header, payload);
      const theirs = await new SignJWT(payload).setProtectedHeader(header).sign(await importJWK(jwk, alg));
      expect(ours).toBe(theirs);
    },
  );

  it("gives every token its own 128-bit jti, across refills of the random pool", async () => {
    const keys = await keysFor("EdDSA");
    const input = {
      issuer: ISSUER,
      audience: "patgate",
      owner: "alice",
      tokenId: "0123456789abcdefghijk",
      roles: ["read"],
      ttlSeconds: 300,
      nowMs: Date.now(),
      revision: 1,
      ownerRevision: 0,
    };
    // The pool holds 256 jtis: 1000 mints refill it several times.
    const jtis = Array.from({ length: 1000 }, () => mintAccessToken(keys, input).jti);
    expect(new Set(jtis).size).toBe(jtis.length);
    for (const jti of jtis) {
      expect(jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(jti, "base64url")).toHaveLength(16);
    }
  });

  it("writes ES256 signatures as R||S (64 bytes), not DER", async () => {
    const jwk = await generateSigningJwk("ES256");
    const jws = signJws(importJwsKey(jwk), { alg: "ES256", kid: jwk.kid }, { sub: "s" });
    expect(Buffer.from(jws.split(".")[2] as string, "base64url")).toHaveLength(64);
  });

  it("refuses, when keys load, a key that does not fit its alg", async () => {
    const ec = await generateSigningJwk("ES256");
    expect(() => importJwsKey({ ...ec, alg: "RS256" })).toThrow(/does not fit alg RS256/);
    expect(() => importJwsKey({ ...ec, alg: "EdDSA" })).toThrow(/does not fit alg EdDSA/);
    expect(() => importJwsKey({ ...ec, alg: "HS256" })).toThrow(/alg must be one of/);
    expect(() => importJwsKey({ kty: "OKP", crv: "Ed25519", x: "nope", kid: "k", alg: "EdDSA" })).toThrow(
      /not a usable private JWK/,
    );
  });
});

describe("the published JWKS", () => {
  it("is computed once and served from memory until the keys change or a key retires", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "patgate-jwks-")), "signing-keys.json");
    const keys = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: 300, publishDelaySeconds: 120 });
    const t0 = 1_900_000_000;
    const first = keys.published(t0);
    expect(keys.published(t0 + 1000)).toBe(first);
    expect(JSON.parse(first.json)).toEqual(first.jwks);
    const { kid } = await keys.rotate(t0);
    const rotated = keys.published(t0);
    expect(rotated).not.toBe(first);
    expect(rotated.jwks.keys.map((k) => k.kid)).toContain(kid);
    // The old key retires 300 + 60 s after the new one starts signing (t0 + 120).
    expect(keys.published(t0 + 479)).toBe(rotated);
    expect(keys.published(t0 + 480).jwks.keys.map((k) => k.kid)).toEqual([kid]);
  });
});
