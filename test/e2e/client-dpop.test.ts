import type { AddressInfo } from "node:net";
import { createTokenClient, importDpopKey, TokenClientError } from "@patgate/client";
import { patgateAuth, patgateErrorHandler } from "@patgate/verifier/express";
import { patgate } from "@patgate/verifier/fastify";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestIssuer, testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { freePort } from "../harness/free-port.js";

/**
 * @patgate/client with `dpop` against the real issuer (nonces on, so every
 * first exchange is a use_dpop_nonce retry) and resource servers built with
 * the verifier's Fastify and Express adapters.
 */
let issuer: TestIssuer;
let base: string;
let fastify: FastifyInstance;
let fastifyUrl: string;
let expressUrl: string;
const closers: Array<() => Promise<unknown>> = [];
/** Every request the clients made, as "METHOD url [dpop nonce]". */
const seen: string[] = [];

const recordingFetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const proof = new Headers(init?.headers).get("dpop");
  const nonce = proof === null ? undefined : (decodeJwt(proof).nonce as string | undefined);
  seen.push(`${init?.method ?? "GET"} ${String(url)}${nonce === undefined ? "" : " nonce"}`);
  return fetch(url, init);
};

/** The resource-server nonce the Express app asks for (RFC 9449 §9), in front of the verifier. */
const RS_NONCE = "rs-nonce-1";

async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  issuer = await testIssuer({ PATGATE_ISSUER: base, PATGATE_DPOP_NONCE: "on" });
  await issuer.app.listen({ host: "127.0.0.1", port });
  closers.push(() => issuer.app.close());
  const options = { issuer: base, audience: "patgate", jwksUri: `${base}/.well-known/jwks.json` };

  fastify = Fastify();
  await fastify.register(patgate, options);
  fastify.post("/orders", async (request) => ({ sub: request.auth?.sub }));
  await fastify.listen({ host: "127.0.0.1", port: 0 });
  fastifyUrl = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
  closers.push(() => fastify.close());

  const app = express();
  app.use((req, res, next) => {
    const proof = req.get("dpop");
    if (proof !== undefined && decodeJwt(proof).nonce !== RS_NONCE) {
      res.status(401).set({ "www-authenticate": 'DPoP error="use_dpop_nonce"', "dpop-nonce": RS_NONCE }).end();
      return;
    }
    next();
  });
  app.use(patgateAuth(options));
  app.get("/me", (req, res) => {
    res.json({ sub: req.auth?.sub });
  });
  app.use(patgateErrorHandler());
  expressUrl = await listen(app);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function pat(extra: { dpopJkt?: string } = {}): Promise<string> {
  return (await issuer.store.issue({ owner: "alice", roles: ["read"], ...extra })).token;
}

describe("@patgate/client with dpop: true", () => {
  it("gets a JWT bound to its own key (retrying the issuer's use_dpop_nonce once) and calls both adapters with fresh proofs", async () => {
    seen.length = 0;
    const client = createTokenClient({ issuer: base, pat: await pat(), dpop: true, fetch: recordingFetch });
    const jwt = await client.getToken();
    expect(seen).toEqual([`POST ${base}/token`, `POST ${base}/token nonce`]);
    expect(decodeJwt(jwt).cnf).toEqual({ jkt: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });

    // Two calls, two proofs: the second would be a replay if the proof were reused.
    for (let i = 0; i < 2; i++) {
      const response = await client.fetch(`${fastifyUrl}/orders?page=${i}`, { method: "post", body: "{}" });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: "alice" });
    }
    // The Express server asks for its own nonce once; the client keeps it for the next call.
    seen.length = 0;
    for (let i = 0; i < 2; i++) {
      const response = await client.fetch(new URL(`${expressUrl}/me`));
      expect(response.status).toBe(200);
    }
    expect(seen).toEqual([`GET ${expressUrl}/me`, `GET ${expressUrl}/me nonce`, `GET ${expressUrl}/me nonce`]);
  });

  it("its JWT is refused as Bearer and with a proof by another key; the proof names the key it was made with", async () => {
    const client = createTokenClient({ issuer: base, pat: await pat(), dpop: true });
    const jwt = await client.getToken();
    const asBearer = await fetch(`${fastifyUrl}/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get("www-authenticate")).toMatch(/^DPoP /);

    const other = createTokenClient({ issuer: base, pat: await pat(), dpop: true });
    const { dpop } = await other.requestHeaders("POST", `${fastifyUrl}/orders`);
    const stolen = await fetch(`${fastifyUrl}/orders`, {
      method: "POST",
      headers: { authorization: `DPoP ${jwt}`, dpop: dpop as string },
    });
    expect(stolen.status).toBe(401);
    expect(decodeProtectedHeader(dpop as string)).toMatchObject({ typ: "dpop+jwt", alg: "ES256" });
    await expect(client.authorization()).rejects.toThrow(TypeError);
  });
});

describe("@patgate/client with a key from a JWK file", () => {
  it("exchanges a PAT bound to that key and calls a resource server; without the key the PAT is worth nothing", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jkt = await calculateJwkThumbprint(await exportJWK(publicKey));
    // What `patgate dpop keygen` writes: the private JWK, as text.
    const file = JSON.stringify({ ...(await exportJWK(privateKey)), alg: "ES256", kid: jkt });
    const bound = await pat({ dpopJkt: jkt });

    const client = createTokenClient({ issuer: base, pat: bound, dpop: await importDpopKey(file) });
    expect(decodeJwt(await client.getToken()).cnf).toEqual({ jkt });
    expect((await client.fetch(`${fastifyUrl}/orders`, { method: "POST" })).status).toBe(200);

    for (const dpop of [true as const, undefined]) {
      const thief = createTokenClient({ issuer: base, pat: bound, maxRetries: 0, ...(dpop ? { dpop } : {}) });
      const error = await thief.getToken().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TokenClientError);
      expect(error).toMatchObject({ code: "invalid_dpop_proof", status: 400 });
    }
  });
});
