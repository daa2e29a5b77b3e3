import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { calculateJwkThumbprint, exportJWK, type JWK, generateKeyPair as joseKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { authErrorResponse, createVerifier, type Verifier, VerifierError } from "../src/index.js";
import { AUDIENCE, claims, ISSUER, makeKey, sign, type TestKey } from "./fixtures.js";

const URL_ = "https://api.test/orders";
const CHALLENGE_ALGS = 'algs="ES256 EdDSA Ed25519 RS256 PS256"';
const nowSeconds = () => Math.floor(Date.now() / 1000);

let signingKey: TestKey;
let holder: KeyPair;
let jkt: string;
/** JWKS lookups: one per JWT whose signature is checked (the verified-token cache skips the rest). */
let jwksLookups = 0;

beforeAll(async () => {
  signingKey = await makeKey("EdDSA");
  holder = await generateKeyPair("ES256");
  jkt = await calculateJwkThumbprint(await exportJWK(holder.publicKey));
});

function verifierWith(options: Partial<Parameters<typeof createVerifier>[0]> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: () => {
      jwksLookups += 1;
      return { keys: [signingKey.publicJwk] };
    },
    ...options,
  });
}

/** A patgate JWT valid now, bound to `boundTo` (a thumbprint) or a bearer JWT. */
function jwt(boundTo: string | null = jkt): Promise<string> {
  const now = nowSeconds();
  return sign(signingKey, claims({ iat: now - 5, exp: now + 300, ...(boundTo ? { cnf: { jkt: boundTo } } : {}) }));
}

async function dpopRequest(token: string, proof: string | string[], method = "GET", url = URL_) {
  return { method, url, headers: { authorization: `DPoP ${token}`, dpop: proof } };
}

/** A proof signed with jose, for the hostile shapes panva's dpop refuses to make. */
async function handMade(token: string, header: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  const { privateKey, publicKey } = await joseKeyPair("ES256", { extractable: true });
  const jwk = await exportJWK(publicKey);
  const proof = await new SignJWT({
    htm: "GET",
    htu: URL_,
    jti: crypto.randomUUID(),
    iat: nowSeconds(),
    ath: await athOf(token),
    ...overrides,
  })
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk, ...header })
    .sign(privateKey);
  return { proof, jkt: await calculateJwkThumbprint(jwk as JWK) };
}

async function athOf(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Buffer.from(digest).toString("base64url");
}

/** The refusal: a 401 (or as given) VerifierError answered with the DPoP challenge. */
async function refusal(promise: Promise<unknown>, code: string, status = 401) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VerifierError);
  expect((error as VerifierError).code).toBe(code);
  const response = authErrorResponse(error);
  expect(response?.status).toBe(status);
  const challenge = response?.headers["www-authenticate"] ?? "";
  expect(challenge.startsWith("DPoP ")).toBe(true);
  expect(challenge).toContain(CHALLENGE_ALGS);
  return { error: error as VerifierError, challenge, body: response?.body };
}

describe("verifyRequest with a DPoP-bound JWT", () => {
  it.each(["ES256", "Ed25519", "RS256", "PS256"] as const)("accepts a %s proof from panva's dpop", async (alg) => {
    const keys = await generateKeyPair(alg);
    const token = await jwt(await calculateJwkThumbprint(await exportJWK(keys.publicKey)));
    const proof = await generateProof(keys, URL_, "GET", undefined, token);
    const auth = await verifierWith().verifyRequest(await dpopRequest(token, proof));
    expect(auth.sub).toBe("alice");
  });

  it("compares htu after normalisation and without query, and takes Fetch API Headers", async () => {
    const token = await jwt();
    const proof = await generateProof(holder, "https://API.test:443/./orders?page=2", "GET", undefined, token);
    const headers = new Headers({ authorization: `DPoP ${token}`, dpop: proof });
    const auth = await verifierWith().verifyRequest({ method: "get", url: `${URL_}?page=1`, headers });
    expect(auth.claims).toMatchObject({ cnf: { jkt } });
  });

  it("checks a reused JWT's signature once: the proof's signature is the only crypto after", async () => {
    const verifier = verifierWith();
    const token = await jwt();
    const before = jwksLookups;
    for (let i = 0; i < 3; i++) {
      const proof = await generateProof(holder, URL_, "GET", undefined, token);
      await verifier.verifyRequest(await dpopRequest(token, proof));
    }
    expect(jwksLookups - before).toBe(1);
  });

  it("builds htu from publicUrl behind a proxy", async () => {
    const token = await jwt();
    const proof = await generateProof(holder, "https://public.example/api/orders", "GET", undefined, token);
    const verifier = verifierWith({ publicUrl: "https://public.example/api/" });
    const request = await dpopRequest(token, proof, "GET", "http://10.0.0.7:8080/orders?x=1");
    await expect(verifier.verifyRequest(request)).resolves.toMatchObject({ sub: "alice" });
    const direct = await generateProof(holder, "http://10.0.0.7:8080/orders", "GET", undefined, token);
    await refusal(verifier.verifyRequest(await dpopRequest(token, direct, "GET", request.url)), "invalid_dpop_proof");
  });
});

describe("verifyRequest refuses, each a 401 with the DPoP challenge", () => {
  it("a bound JWT sent as Bearer, to verify() and to verifyRequest", async () => {
    const verifier = verifierWith();
    const token = await jwt();
    const { challenge } = await refusal(verifier.verify(token), "dpop_required");
    expect(challenge).toContain('error="invalid_token"');
    const request = { method: "GET", url: URL_, headers: { authorization: `Bearer ${token}` } };
    await refusal(verifier.verifyRequest(request), "dpop_required");
    // Cached now: the synchronous fast path refuses it too.
    expect(() => verifier.verifyCached(token)).toThrow(VerifierError);
    // Introspection asks what the token is, and authorises nothing with it.
    await expect(verifier.verify(token, { acceptBound: true })).resolves.toMatchObject({ claims: { cnf: { jkt } } });
  });

  it("a proof for another URL, another method, another token (ath), or by another key", async () => {
    const verifier = verifierWith();
    const token = await jwt();
    const cases = [
      await generateProof(holder, "https://api.test/admin", "GET", undefined, token),
      await generateProof(holder, URL_, "POST", undefined, token),
      await generateProof(holder, URL_, "GET", undefined, await jwt()),
      await generateProof(holder, URL_, "GET"),
      await generateProof(await generateKeyPair("ES256"), URL_, "GET", undefined, token),
    ];
    for (const proof of cases) {
      const { challenge, body } = await refusal(
        verifier.verifyRequest(await dpopRequest(token, proof)),
        "invalid_dpop_proof",
      );
      expect(challenge).toContain('error="invalid_dpop_proof"');
      expect(body?.error).toBe("invalid_dpop_proof");
    }
  });

  it("a replayed proof", async () => {
    const verifier = verifierWith();
    const token = await jwt();
    const request = await dpopRequest(token, await generateProof(holder, URL_, "GET", undefined, token));
    await verifier.verifyRequest(request);
    const { error } = await refusal(verifier.verifyRequest(request), "invalid_dpop_proof");
    expect(error.message).toMatch(/used before/);
  });

  it("an old or future iat, none and HS256 proofs, a private jwk, a 100 kB proof", async () => {
    const verifier = verifierWith();
    const token = await jwt();
    const old = await handMade(token, {}, { iat: nowSeconds() - 120 });
    const future = await handMade(token, {}, { iat: nowSeconds() + 120 });
    const header = (h: object) => Buffer.from(JSON.stringify(h)).toString("base64url");
    const body = Buffer.from(JSON.stringify({ htm: "GET", htu: URL_, jti: "x", iat: nowSeconds() })).toString(
      "base64url",
    );
    const none = `${header({ alg: "none", typ: "dpop+jwt", jwk: holder.publicKey })}.${body}.`;
    const hs256 = await new SignJWT({ htm: "GET", htu: URL_, jti: "y", iat: nowSeconds(), ath: await athOf(token) })
      .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk: { kty: "oct", k: "c2VjcmV0" } as JWK })
      .sign(new TextEncoder().encode("secret"));
    const huge = `${header({ alg: "ES256", typ: "dpop+jwt" })}.${"A".repeat(100_000)}.AAAA`;
    for (const proof of [old.proof, future.proof, none, hs256, huge]) {
      // Bound to the hand-made key, so only the rule under test can fail.
      const bound = proof === old.proof || proof === future.proof ? await jwt(old.jkt) : token;
      await refusal(verifier.verifyRequest(await dpopRequest(bound, proof)), "invalid_dpop_proof");
    }
  });

  it("two DPoP headers, as an array or joined by Node, and none at all", async () => {
    const verifier = verifierWith();
    const token = await jwt();
    const a = await generateProof(holder, URL_, "GET", undefined, token);
    const b = await generateProof(holder, URL_, "GET", undefined, token);
    await refusal(verifier.verifyRequest(await dpopRequest(token, [a, b])), "invalid_dpop_proof");
    await refusal(verifier.verifyRequest(await dpopRequest(token, `${a}, ${b}`)), "invalid_dpop_proof");
    const request = { method: "GET", url: URL_, headers: { authorization: `DPoP ${token}` } };
    await refusal(verifier.verifyRequest(request), "invalid_dpop_proof");
  });

  it("an unbound JWT sent with the DPoP scheme", async () => {
    const token = await jwt(null);
    const proof = await generateProof(holder, URL_, "GET", undefined, token);
    await refusal(verifierWith().verifyRequest(await dpopRequest(token, proof)), "invalid_dpop_proof");
  });

  it("a bad JWT with a DPoP scheme: its own code, with the DPoP challenge", async () => {
    const token = `${(await jwt()).slice(0, -4)}AAAA`;
    const proof = await generateProof(holder, URL_, "GET", undefined, token);
    await refusal(verifierWith().verifyRequest(await dpopRequest(token, proof)), "invalid_signature");
  });
});

describe('dpop: "required"', () => {
  it("refuses an unbound JWT as Bearer, and asks for DPoP when no token is sent", async () => {
    const verifier = verifierWith({ dpop: "required" });
    await refusal(verifier.verify(await jwt(null)), "dpop_required");
    const { challenge } = await refusal(
      verifier.verifyRequest({ method: "GET", url: URL_, headers: {} }),
      "token_missing",
    );
    expect(challenge).toBe(`DPoP ${CHALLENGE_ALGS}`);
  });

  it("still accepts a bound JWT with its proof", async () => {
    const token = await jwt();
    const proof = await generateProof(holder, URL_, "GET", undefined, token);
    await expect(
      verifierWith({ dpop: "required" }).verifyRequest(await dpopRequest(token, proof)),
    ).resolves.toMatchObject({
      sub: "alice",
    });
  });
});

describe("without DPoP, a bearer JWT", () => {
  it("is verified as before, with a Bearer challenge on failure", async () => {
    const verifier = verifierWith();
    const token = await jwt(null);
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: "alice" });
    const request = { method: "GET", url: URL_, headers: { authorization: `Bearer ${token}` } };
    await expect(verifier.verifyRequest(request)).resolves.toMatchObject({ sub: "alice" });
    const missing = await verifier.verifyRequest({ method: "GET", url: URL_, headers: {} }).catch((e: unknown) => e);
    expect(authErrorResponse(missing)?.headers["www-authenticate"]).toBe("Bearer");
  });
});

describe("the dpop and publicUrl options", () => {
  it.each([
    [{ dpop: "sometimes" }, /dpop/],
    [{ dpop: { replay: "redis" } }, /denyList/],
    [{ dpop: { replay: "disk" } }, /replay/],
    [{ dpop: { maxAge: 0 } }, /maxAge/],
    [{ publicUrl: "ftp://x" }, /publicUrl/],
    [{ publicUrl: "https://x/?q=1" }, /publicUrl/],
  ])("refuses %o at creation with a TypeError", (options, message) => {
    expect(() => verifierWith(options as never)).toThrow(TypeError);
    expect(() => verifierWith(options as never)).toThrow(message);
  });
});
