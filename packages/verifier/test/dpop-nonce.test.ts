import type { AddressInfo } from "node:net";
import { createStatelessNonces, dpopNonceKey } from "@patgate/shared";
import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patgateAuth, patgateErrorHandler } from "../src/adapters/express.js";
import { patgate } from "../src/adapters/fastify.js";
import { createVerifier } from "../src/create-verifier.js";
import type { VerifierOptions } from "../src/verifier-options.js";
import { AUDIENCE, claims, ISSUER, makeKey, sign, type TestKey } from "./fixtures.js";

/**
 * Resource-server nonces (RFC 9449 §9) through real servers: two Fastify
 * replicas and an Express app sharing one secret, called over HTTP with
 * proofs from panva's `dpop`. The clock is the servers' own plus an offset
 * the test moves (no fake timers).
 */
const SECRET = "rs-nonce-secret-0123456789abcdef-shared";
const LIFETIME = 10;
let offsetMs = 0;
const now = () => Date.now() + offsetMs;
let key: TestKey;
let holder: KeyPair;
const urls: Record<"a" | "b" | "express", string> = { a: "", b: "", express: "" };
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  key = await makeKey("ES256");
  holder = await generateKeyPair("ES256");
  const options: VerifierOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    now,
    dpop: { nonce: { secret: SECRET, lifetimeSeconds: LIFETIME } },
  };
  for (const name of ["a", "b"] as const) {
    const app: FastifyInstance = Fastify();
    await app.register(patgate, options);
    app.get("/me", async (request) => ({ sub: request.auth?.sub }));
    await app.listen({ host: "127.0.0.1", port: 0 });
    closers.push(() => app.close());
    urls[name] = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }
  const app = express();
  app.use(patgateAuth(options));
  app.get("/me", (req, res) => {
    res.json({ sub: req.auth?.sub });
  });
  app.use(patgateErrorHandler());
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  urls.express = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const close of closers) await close();
});

async function boundJwt(): Promise<string> {
  const seconds = Math.floor(Date.now() / 1000);
  const jkt = await calculateJwkThumbprint(await exportJWK(holder.publicKey));
  return sign(key, claims({ iat: seconds - 5, exp: seconds + 600, cnf: { jkt } }));
}

async function call(base: string, token: string, nonce?: string): Promise<Response> {
  const dpop = await generateProof(holder, `${base}/me`, "GET", nonce, token);
  return fetch(`${base}/me?x=1`, { headers: { authorization: `DPoP ${token}`, dpop } });
}

function expectNonceChallenge(response: Response): string {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toMatch(/^DPoP error="use_dpop_nonce", error_description="[^"]+"/);
  const nonce = response.headers.get("dpop-nonce");
  expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
  return nonce as string;
}

describe("a verifier with dpop.nonce", () => {
  it("answers a proof without a nonce 401 use_dpop_nonce with a DPoP-Nonce, and takes the retry (Fastify and Express)", async () => {
    const token = await boundJwt();
    for (const base of [urls.a, urls.express]) {
      const nonce = expectNonceChallenge(await call(base, token));
      const retried = await call(base, token, nonce);
      expect(retried.status).toBe(200);
      expect(await retried.json()).toEqual({ sub: "alice" });
      // The nonce serves later proofs too, until it expires.
      expect((await call(base, token, nonce)).status).toBe(200);
    }
  });

  it("accepts a replica's nonce (same secret): every server of the deployment takes the others'", async () => {
    const token = await boundJwt();
    const fromA = expectNonceChallenge(await call(urls.a, token));
    for (const base of [urls.b, urls.express]) expect((await call(base, token, fromA)).status).toBe(200);
  });

  it("refuses a foreign nonce, the issuer's nonce under the same secret, a forged one and an expired one", async () => {
    const token = await boundJwt();
    const foreign = createStatelessNonces({
      keyOf: () => dpopNonceKey("another-deployment-secret-0123456789"),
      windowSeconds: LIFETIME,
      purpose: "dpop-rs-nonce",
    }).issue(now());
    const issuers = createStatelessNonces({
      keyOf: () => dpopNonceKey(SECRET),
      windowSeconds: LIFETIME,
      purpose: "dpop-nonce",
    }).issue(now());
    const valid = expectNonceChallenge(await call(urls.a, token));
    const forged = `${valid.split(".")[0]}.${"A".repeat(22)}`;
    for (const nonce of [foreign, issuers, forged, "", "x".repeat(300)]) {
      for (const base of [urls.a, urls.express]) {
        const answer = await call(base, token, nonce);
        // Empty or too long: a malformed proof (invalid_dpop_proof) or a nonce challenge, never a 200.
        if (nonce === "" || nonce.length > 256) expect(answer.status).toBe(401);
        else expectNonceChallenge(answer);
      }
    }
    expect((await call(urls.b, token, valid)).status).toBe(200);
    offsetMs = 2 * LIFETIME * 1000 + 1000;
    try {
      for (const base of [urls.a, urls.b, urls.express]) {
        const fresh = expectNonceChallenge(await call(base, token, valid));
        expect(fresh).not.toBe(valid);
        expect((await call(base, token, fresh)).status).toBe(200);
      }
    } finally {
      offsetMs = 0;
    }
  });

  it("verifyRequest throws use_dpop_nonce with the fresh nonce; a replayed proof with a good nonce is still refused", async () => {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      dpop: { nonce: true },
    });
    const token = await boundJwt();
    const url = "https://api.test/me";
    const request = async (nonce?: string) => ({
      method: "GET",
      url,
      headers: { authorization: `DPoP ${token}`, dpop: await generateProof(holder, url, "GET", nonce, token) },
    });
    const error = await verifier.verifyRequest(await request()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "use_dpop_nonce", status: 401, scheme: "DPoP" });
    const nonce = (error as { dpopNonce: string }).dpopNonce;
    const good = await request(nonce);
    expect((await verifier.verifyRequest(good)).sub).toBe("alice");
    await expect(verifier.verifyRequest(good)).rejects.toMatchObject({ code: "invalid_dpop_proof" });
    await verifier.close();
  });

  it("refuses a bad nonce option at creation", () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } };
    for (const nonce of ["on", { secret: "short" }, { lifetimeSeconds: 5 }, { lifetimeSeconds: 1.5 }, []]) {
      expect(() => createVerifier({ ...base, dpop: { nonce: nonce as never } })).toThrow(TypeError);
    }
    for (const replay of [{}, { redis: null }, "disk"]) {
      expect(() => createVerifier({ ...base, dpop: { replay: replay as never } })).toThrow(TypeError);
    }
  });
});
