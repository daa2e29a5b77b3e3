import type { AddressInfo } from "node:net";
import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patgateAuth, patgateErrorHandler } from "../src/adapters/express.js";
import { patgate } from "../src/adapters/fastify.js";
import { createReplayWindow } from "../src/dpop/replay-window.js";
import { AUDIENCE, claims, ISSUER, makeKey, sign, type TestKey } from "./fixtures.js";

const PUBLIC = "https://api.test";
let key: TestKey;
let holder: KeyPair;
let fastify: FastifyInstance;
let expressUrl: string;
let closeExpress: () => Promise<void>;

beforeAll(async () => {
  key = await makeKey("ES256");
  holder = await generateKeyPair("Ed25519");
  const options = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } };
  fastify = Fastify();
  // Behind a proxy: the proof names the public URL, the request arrives at another.
  await fastify.register(patgate, { ...options, publicUrl: PUBLIC });
  fastify.get("/me", async (request) => ({ sub: request.auth?.sub }));
  await fastify.ready();

  const app = express();
  app.use(patgateAuth(options));
  app.get("/me", (req, res) => {
    res.json({ sub: req.auth?.sub });
  });
  app.use(patgateErrorHandler());
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  expressUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeExpress = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await fastify.close();
  await closeExpress();
});

async function boundJwt(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jkt = await calculateJwkThumbprint(await exportJWK(holder.publicKey));
  return sign(key, claims({ iat: now - 5, exp: now + 300, cnf: { jkt } }));
}

interface Answer {
  status: number;
  challenge: string | undefined;
  body: Record<string, unknown>;
}

/** Calls both adapters the same way; the proof names `htuOf(adapter)`. */
async function both(headers: (htu: string) => Promise<Record<string, string>>): Promise<[Answer, Answer]> {
  const f = await fastify.inject({ method: "GET", url: "/me?x=1", headers: await headers(`${PUBLIC}/me`) });
  const fromFastify = { status: f.statusCode, challenge: f.headers["www-authenticate"] as string, body: f.json() };
  const e = await fetch(`${expressUrl}/me?x=1`, { headers: await headers(`${expressUrl}/me`) });
  const fromExpress = {
    status: e.status,
    challenge: e.headers.get("www-authenticate") ?? undefined,
    body: (await e.json()) as Record<string, unknown>,
  };
  return [fromFastify, fromExpress];
}

describe("the adapters with a DPoP-bound JWT", () => {
  it("accept it as 'DPoP <jwt>' with a proof for the request", async () => {
    const token = await boundJwt();
    const answers = await both(async (htu) => ({
      authorization: `DPoP ${token}`,
      dpop: await generateProof(holder, htu, "GET", undefined, token),
    }));
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: { sub: "alice" } });
  });

  it("refuse it as Bearer, with the DPoP challenge, even once cached", async () => {
    const token = await boundJwt();
    for (let i = 0; i < 2; i++) {
      for (const answer of await both(async () => ({ authorization: `Bearer ${token}` }))) {
        expect(answer.status).toBe(401);
        expect(answer.challenge).toMatch(/^DPoP error="invalid_token", .*algs="ES256 EdDSA Ed25519 RS256 PS256"$/);
      }
    }
  });

  it("refuse a replayed proof and a proof for another method: 401 invalid_dpop_proof, never a 500", async () => {
    const token = await boundJwt();
    const proofs = new Map<string, string>();
    const replayed = async (htu: string) => {
      proofs.set(htu, proofs.get(htu) ?? (await generateProof(holder, htu, "GET", undefined, token)));
      return { authorization: `DPoP ${token}`, dpop: proofs.get(htu) as string };
    };
    for (const answer of await both(replayed)) expect(answer.status).toBe(200);
    const wrongMethod = async (htu: string) => ({
      authorization: `DPoP ${token}`,
      dpop: await generateProof(holder, htu, "POST", undefined, token),
    });
    for (const attempt of [replayed, wrongMethod]) {
      for (const answer of await both(attempt)) {
        expect(answer.status).toBe(401);
        expect(answer.body.error).toBe("invalid_dpop_proof");
        expect(answer.challenge).toMatch(/^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="/);
      }
    }
  });
});

describe("the replay window", () => {
  it("forgets a proof only once its iat can no longer be accepted, and says full rather than forget a live one", () => {
    const window = createReplayWindow(60, 2);
    expect(window.firstUse("k", "a", 0)).toBe(true);
    expect(window.firstUse("k", "a", 1000)).toBe(false);
    expect(window.firstUse("other", "a", 1000)).toBe(true);
    expect(window.firstUse("k", "b", 1000)).toBe("full");
    expect(window.firstUse("k", "a", 120_000)).toBe(false);
    expect(window.firstUse("k", "a", 121_000)).toBe(true);
    expect(window.size).toBe(2);
  });
});
