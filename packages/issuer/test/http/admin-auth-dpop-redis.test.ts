import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisUrl, uniqueName } from "../../../../test/harness/context.js";
import { boundExchange as exchangeBound, expectError, ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";

/**
 * Two issuers on one real Redis (same store, same signing keys): a proof
 * used at the admin API or /introspect of one is refused at the other, as at
 * /token, because both remember proofs in that Redis.
 */
let one: TestIssuer;
let two: TestIssuer;
let holder: KeyPair;
const connections: Redis[] = [];

const boundExchange = (pat: string, audience?: string) => exchangeBound(one, holder, pat, audience);

beforeAll(async () => {
  const env = { PATGATE_REDIS_PREFIX: uniqueName("dpop-admin") };
  const redis = () => {
    const connection = new Redis(redisUrl());
    connections.push(connection);
    return connection;
  };
  one = await testIssuer(env, { redis: redis() });
  two = await testIssuer(env, { redis: redis(), store: one.store, keys: one.keys });
  holder = await generateKeyPair("ES256");
});
afterAll(async () => {
  await Promise.all([one.app.close(), two.app.close()]);
  for (const connection of connections) connection.disconnect();
});

const withProof = async (jwt: string, method: string, htu: string) => ({
  authorization: `DPoP ${jwt}`,
  dpop: await generateProof(holder, htu, method, undefined, jwt),
});

describe("DPoP proofs at the admin API and /introspect of two issuers on one Redis", () => {
  it("refuses at one issuer's admin API a proof used at the other, in both orders", async () => {
    const { token } = await one.store.issue({ owner: "root", isAdmin: true, roles: ["admin"] });
    const admin = await boundExchange(token, one.config.adminAudience);
    for (const [first, second] of [
      [one, two],
      [two, one],
    ] as const) {
      const headers = await withProof(admin, "GET", `${ISSUER}/admin/tokens`);
      expect((await first.app.inject({ method: "GET", url: "/admin/tokens", headers })).statusCode).toBe(200);
      const replayed = await second.app.inject({ method: "GET", url: "/admin/tokens", headers });
      expectError(replayed, 401, "invalid_dpop_proof", "token_dpop_proof_invalid");
    }
  });

  it("lets exactly one of two issuers receiving the same /introspect proof at once accept it, every time", async () => {
    const { token } = await one.store.issue({ owner: "rs", roles: ["introspect"] });
    const caller = await boundExchange(token);
    const subject = await one.exchange((await one.store.issue({ owner: "alice", roles: ["read"] })).token);
    for (let round = 0; round < 20; round++) {
      const headers = await withProof(caller, "POST", `${ISSUER}/introspect`);
      const [first, second] = round % 2 === 0 ? [one, two] : [two, one];
      const answers = await Promise.all(
        [first, second].map((issuer) =>
          issuer.app.inject({ method: "POST", url: "/introspect", headers, payload: { token: subject } }),
        ),
      );
      expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 401]);
    }
  });
});
