import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { Redis } from "ioredis";
import { calculateJwkThumbprint, decodeJwt, exportJWK } from "jose";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { freePort } from "../../../../test/harness/free-port.js";
import { expectError, ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

function post(issuer: TestIssuer, pat: string, dpop: string) {
  return issuer.app.inject({
    method: "POST",
    url: "/token",
    headers: { dpop },
    payload: { grant_type: TOKEN_EXCHANGE, subject_token: pat, subject_token_type: ACCESS_TOKEN_TYPE },
  });
}

const thumbprint = async (keyPair: KeyPair) => calculateJwkThumbprint(await exportJWK(keyPair.publicKey));

describe("openid-client v6 against /token with nonces on", () => {
  let issuer: TestIssuer;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    issuer = await testIssuer({ PATGATE_ISSUER: base, PATGATE_DPOP_NONCE: "on" });
    await issuer.app.listen({ host: "127.0.0.1", port });
  });
  afterAll(() => issuer.app.close());

  it("gets a DPoP-bound JWT by a token exchange, retrying use_dpop_nonce by itself", async () => {
    const { token: pat } = await issuer.store.issue({ owner: "alice", roles: ["read"] });
    const config = new client.Configuration(
      { issuer: base, token_endpoint: `${base}/token` },
      "patgate-client",
      undefined,
      client.None(),
    );
    client.allowInsecureRequests(config);
    const keyPair = await client.randomDPoPKeyPair("ES256");
    const dpop = client.getDPoPHandle(config, keyPair);
    const answer = await client.genericGrantRequest(
      config,
      TOKEN_EXCHANGE,
      { subject_token: pat, subject_token_type: ACCESS_TOKEN_TYPE },
      { DPoP: dpop },
    );
    expect(answer.token_type).toBe("dpop");
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    expect(decodeJwt(answer.access_token).cnf).toEqual({ jkt });
  });

  it("stops a 100 kB proof over the wire at Node's header limit, at once (431 with the error table's body, never a 500)", async () => {
    const started = performance.now();
    const response = await fetch(`${base}/token`, { method: "POST", headers: { dpop: "a".repeat(100_000) } });
    expect(response.status).toBe(431);
    expect(await response.json()).toMatchObject({ error: "invalid_request", error_code: "headers_too_large" });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("answers a proof without a nonce with use_dpop_nonce and a fresh DPoP-Nonce", async () => {
    const { token: pat } = await issuer.store.issue({ owner: "bob" });
    const keyPair = await generateKeyPair("ES256");
    const first = await issuer.app.inject({
      method: "POST",
      url: "/token",
      headers: { dpop: await generateProof(keyPair, `${base}/token`, "POST") },
      payload: { grant_type: TOKEN_EXCHANGE, subject_token: pat, subject_token_type: ACCESS_TOKEN_TYPE },
    });
    expectError(first, 400, "use_dpop_nonce", "dpop_nonce_required");
    const nonce = first.headers["dpop-nonce"] as string;
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    const forged = `${nonce.split(".")[0]}.${"A".repeat(22)}`;
    const withForged = await generateProof(keyPair, `${base}/token`, "POST", forged);
    expectError(
      await issuer.app.inject({
        method: "POST",
        url: "/token",
        headers: { dpop: withForged },
        payload: { grant_type: TOKEN_EXCHANGE, subject_token: pat, subject_token_type: ACCESS_TOKEN_TYPE },
      }),
      400,
      "use_dpop_nonce",
    );
  });
});

describe("jti replay across two issuers on one Redis", () => {
  let one: TestIssuer;
  let two: TestIssuer;
  const connections: Redis[] = [];

  beforeAll(async () => {
    const env = { PATGATE_REDIS_PREFIX: uniqueName("dpop") };
    const redis = () => {
      const connection = new Redis(redisUrl());
      connections.push(connection);
      return connection;
    };
    one = await testIssuer(env, { redis: redis() });
    two = await testIssuer(env, { redis: redis(), store: one.store });
  });
  afterAll(async () => {
    await Promise.all([one.app.close(), two.app.close()]);
    for (const connection of connections) connection.disconnect();
  });

  it("refuses at one issuer a proof used at the other", async () => {
    const { token: pat } = await one.store.issue({ owner: "alice" });
    const proof = await generateProof(await generateKeyPair("ES256"), `${ISSUER}/token`, "POST");
    expect((await post(one, pat, proof)).statusCode).toBe(200);
    expectError(await post(two, pat, proof), 400, "invalid_dpop_proof", "dpop_proof_replayed");
  });

  it("lets exactly one of two issuers receiving the same proof at once accept it, every time", async () => {
    const { token: pat } = await one.store.issue({ owner: "alice" });
    const keyPair = await generateKeyPair("ES256");
    for (let round = 0; round < 20; round++) {
      const proof = await generateProof(keyPair, `${ISSUER}/token`, "POST");
      const [first, second] = round % 2 === 0 ? [one, two] : [two, one];
      const answers = await Promise.all([post(first, pat, proof), post(second, pat, proof)]);
      expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 400]);
    }
  });
});

describe("bind on first use, raced", () => {
  it("lets exactly one of two keys win the conditional write, in both orders, every time", async () => {
    const { store } = await freshStore();
    const [a, b] = await Promise.all([generateKeyPair("ES256"), generateKeyPair("ES256")]);
    const [jktA, jktB] = await Promise.all([thumbprint(a), thumbprint(b)]);
    for (let round = 0; round < 40; round++) {
      const { record } = await store.issue({ owner: "ci", dpopBindOnFirstUse: true });
      const order = round % 2 === 0 ? [jktA, jktB] : [jktB, jktA];
      const results = await Promise.all(order.map((jkt) => store.bindDpopKey(record.tokenId, jkt)));
      expect(results.filter((result) => result.won)).toHaveLength(1);
      const winner = results.find((result) => result.won)?.record.dpopJkt;
      expect([jktA, jktB]).toContain(winner);
      for (const result of results) expect(result.record.dpopJkt).toBe(winner);
      expect((await store.get(record.tokenId))?.dpopJkt).toBe(winner);
    }
  });

  it("answers one of two racing first exchanges with different keys, the other dpop_key_mismatch", async () => {
    const issuer = await testIssuer();
    try {
      const [a, b] = await Promise.all([generateKeyPair("ES256"), generateKeyPair("Ed25519")]);
      for (let round = 0; round < 10; round++) {
        const { token: pat } = await issuer.store.issue({ owner: "ci", dpopBindOnFirstUse: true });
        const keys = round % 2 === 0 ? [a, b] : [b, a];
        const proofs = await Promise.all(keys.map((key) => generateProof(key, `${ISSUER}/token`, "POST")));
        const answers = await Promise.all(proofs.map((proof) => post(issuer, pat, proof)));
        expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 400]);
        const loser = answers.find((answer) => answer.statusCode === 400);
        expect(loser?.json().error_code).toBe("dpop_key_mismatch");
        const winner = answers.find((answer) => answer.statusCode === 200);
        const bound = (await issuer.store.get(decodeJwt(winner?.json().access_token).client_id as string))?.dpopJkt;
        expect(decodeJwt(winner?.json().access_token).cnf).toEqual({ jkt: bound });
      }
    } finally {
      await issuer.app.close();
    }
  });
});
