import { generateKeyPair, generateProof } from "dpop";
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair as joseKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  accessTokenHash,
  DPOP_SIGNING_ALGORITHMS,
  htuMatches,
  isJwkThumbprint,
  normaliseHtu,
  publicJwkThumbprint,
  verifyDpopProof,
} from "../src/index.js";

const URL_ = "https://issuer.example/token";
const now = () => Math.floor(Date.now() / 1000);
const expectation = (overrides = {}) => ({
  method: "POST",
  url: URL_,
  nowSeconds: now(),
  maxAgeSeconds: 60,
  ...overrides,
});

describe("normaliseHtu (RFC 3986 §6)", () => {
  it.each([
    ["HTTPS://Issuer.EXAMPLE/token", "https://issuer.example/token"],
    ["https://issuer.example:443/token", "https://issuer.example/token"],
    ["http://issuer.example:80/token", "http://issuer.example/token"],
    ["https://issuer.example:8443/token", "https://issuer.example:8443/token"],
    ["https://issuer.example/a/../b/./token", "https://issuer.example/b/token"],
    ["https://issuer.example/token?x=1#frag", "https://issuer.example/token"],
    ["https://issuer.example", "https://issuer.example/"],
    ["https://issuer.example/%7etoken%2f", "https://issuer.example/~token%2F"],
  ])("%s → %s", (raw, normal) => {
    expect(normaliseHtu(raw)).toBe(normal);
  });

  it.each(["ftp://issuer.example/token", "/token", "not a url", "https://user:pw@issuer.example/token"])(
    "refuses %s",
    (raw) => {
      expect(normaliseHtu(raw)).toBeUndefined();
    },
  );

  it("matches only the same resource", () => {
    expect(htuMatches("https://ISSUER.example:443/x/../token?q", URL_)).toBe(true);
    expect(htuMatches("https://issuer.example/token/", URL_)).toBe(false);
    expect(htuMatches("https://other.example/token", URL_)).toBe(false);
    expect(htuMatches(42, URL_)).toBe(false);
  });
});

describe("verifyDpopProof", () => {
  it.each(["ES256", "Ed25519", "RS256", "PS256"] as const)("accepts a proof of panva's dpop with %s", async (alg) => {
    const keyPair = await generateKeyPair(alg);
    const proof = await generateProof(keyPair, URL_, "POST");
    const checked = await verifyDpopProof(proof, expectation());
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    expect(checked.proof.jkt).toBe(jkt);
    expect(isJwkThumbprint(checked.proof.jkt)).toBe(true);
  });

  it("accepts EdDSA, the older name of Ed25519 proofs", async () => {
    const { privateKey, publicKey } = await joseKeyPair("Ed25519");
    const jwk = await exportJWK(publicKey);
    const proof = await new SignJWT({ htm: "POST", htu: URL_, jti: "j1", iat: now() })
      .setProtectedHeader({ alg: "EdDSA", typ: "dpop+jwt", jwk })
      .sign(privateKey);
    expect((await verifyDpopProof(proof, expectation())).ok).toBe(true);
    expect(DPOP_SIGNING_ALGORITHMS).toEqual(["ES256", "EdDSA", "Ed25519", "RS256", "PS256"]);
  });

  it("checks ath against the access token", async () => {
    const keyPair = await generateKeyPair("ES256");
    const proof = await generateProof(keyPair, URL_, "GET", undefined, "the.access.token");
    expect((await verifyDpopProof(proof, expectation({ method: "GET", accessToken: "the.access.token" }))).ok).toBe(
      true,
    );
    const other = await verifyDpopProof(proof, expectation({ method: "GET", accessToken: "another.token.x" }));
    expect(other).toEqual({ ok: false, description: expect.stringMatching(/ath/) });
    expect(accessTokenHash("x")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ["htm", () => ({ method: "GET" }), /htm/],
    ["htu", () => ({ url: "https://issuer.example/other" }), /htu/],
    ["an old iat", () => ({ nowSeconds: now() + 62 }), /iat/],
    ["a future iat", () => ({ nowSeconds: now() - 62 }), /iat/],
  ])("refuses a wrong %s", async (_name, overrides, pattern) => {
    const proof = await generateProof(await generateKeyPair("ES256"), URL_, "POST");
    expect(await verifyDpopProof(proof, expectation(overrides()))).toEqual({
      ok: false,
      description: expect.stringMatching(pattern),
    });
  });

  it("refuses alg none and HMAC proofs", async () => {
    const header = (h: object) => base64url.encode(JSON.stringify(h));
    const claims = base64url.encode(JSON.stringify({ htm: "POST", htu: URL_, jti: "x", iat: now() }));
    const none = `${header({ alg: "none", typ: "dpop+jwt", jwk: { kty: "oct" } })}.${claims}.AA`;
    expect(await verifyDpopProof(none, expectation())).toEqual({
      ok: false,
      description: expect.stringMatching(/alg/),
    });
    const hs = await new SignJWT({ htm: "POST", htu: URL_, jti: "x", iat: now() })
      .setProtectedHeader({
        alg: "HS256",
        typ: "dpop+jwt",
        jwk: { kty: "oct", k: "c2VjcmV0" } as Record<string, string>,
      })
      .sign(new TextEncoder().encode("secret-secret-secret-secret-32by"));
    expect(await verifyDpopProof(hs, expectation())).toEqual({ ok: false, description: expect.stringMatching(/alg/) });
  });

  it("refuses a jwk with private members, a huge jwk, a wrong typ and a huge proof", async () => {
    const { privateKey } = await joseKeyPair("ES256", { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const sign = (header: Record<string, unknown>) =>
      new SignJWT({ htm: "POST", htu: URL_, jti: "x", iat: now() })
        .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", ...header })
        .sign(privateKey);
    const { d: _d, ...publicJwk } = privateJwk;
    expect(await verifyDpopProof(await sign({ jwk: privateJwk }), expectation())).toEqual({
      ok: false,
      description: expect.stringMatching(/private/),
    });
    expect(await verifyDpopProof(await sign({ jwk: { ...publicJwk, pad: "x".repeat(2000) } }), expectation())).toEqual({
      ok: false,
      description: expect.stringMatching(/too large/),
    });
    expect(await verifyDpopProof(await sign({ jwk: publicJwk, typ: "JWT" }), expectation())).toEqual({
      ok: false,
      description: expect.stringMatching(/typ/),
    });
    expect(await verifyDpopProof("a".repeat(100_000), expectation())).toEqual({
      ok: false,
      description: expect.stringMatching(/too large/),
    });
    expect((await verifyDpopProof(await sign({ jwk: publicJwk }), expectation())).ok).toBe(true);
  });

  it("refuses a proof signed by another key than its jwk", async () => {
    const signer = await joseKeyPair("ES256");
    const other = await exportJWK((await joseKeyPair("ES256")).publicKey);
    const proof = await new SignJWT({ htm: "POST", htu: URL_, jti: "x", iat: now() })
      .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: other })
      .sign(signer.privateKey);
    expect(await verifyDpopProof(proof, expectation())).toEqual({
      ok: false,
      description: expect.stringMatching(/signature/),
    });
  });

  it("gives a public JWK's thumbprint, and none for a private key", async () => {
    const { privateKey, publicKey } = await joseKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(publicKey);
    expect(await publicJwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk));
    expect(await publicJwkThumbprint(await exportJWK(privateKey))).toBeUndefined();
    expect(await publicJwkThumbprint({ kty: "nope" })).toBeUndefined();
    expect(await publicJwkThumbprint("x")).toBeUndefined();
  });
});
