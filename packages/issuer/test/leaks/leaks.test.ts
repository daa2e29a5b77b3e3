import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../../../../test/harness/until.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";

// GitHub's secret-scanning partner flow, with a key server of the test's own.

interface KeyPair {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly pem: string;
}
function keyPair(id: string): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { id, privateKey, pem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

const published: KeyPair[] = [keyPair("key-1")];
let keyFetches = 0;
let keyServer: Server;
let issuer: TestIssuer;

beforeAll(async () => {
  keyServer = createServer((_request, response) => {
    keyFetches += 1;
    response.setHeader("content-type", "application/json");
    response.end(
      JSON.stringify({
        public_keys: published.map((k) => ({ key_identifier: k.id, key: k.pem, is_current: true })),
      }),
    );
  });
  await new Promise<void>((resolve) => keyServer.listen(0, "127.0.0.1", resolve));
  const { port } = keyServer.address() as AddressInfo;
  issuer = await testIssuer({ PATGATE_GITHUB_KEYS_URL: `http://127.0.0.1:${port}/meta/public_keys/secret_scanning` });
});
afterAll(() => new Promise((resolve) => keyServer.close(resolve)));

function report(body: string, key: KeyPair, signWith: KeyObject = key.privateKey) {
  const signature = sign("sha256", Buffer.from(body), { key: signWith, dsaEncoding: "der" }).toString("base64");
  return issuer.app.inject({
    method: "POST",
    url: "/leaks/github",
    headers: {
      "content-type": "application/json",
      "github-public-key-identifier": key.id,
      "github-public-key-signature": signature,
    },
    payload: body,
  });
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const exchangeStatus = async (pat: string) =>
  (await issuer.app.inject({ method: "POST", url: "/token", headers: { authorization: `Bearer ${pat}` } })).statusCode;

describe("POST /leaks/github", () => {
  it("revokes every real PAT in a signed report at once and labels each match", async () => {
    const { token: real, record } = await issuer.store.issue({ owner: "leaky", roles: ["read"] });
    const forged = `pat_${"A".repeat(21)}.${"b".repeat(49)}`; // fails the checksum offline
    const body = JSON.stringify([
      { token: real, type: "patgate_pat", url: "https://github.com/o/r/blob/x/.env", source: "content" },
      { token: forged, type: "patgate_pat", url: "https://github.com/o/r", source: "commit" },
    ]);
    expect(await exchangeStatus(real)).toBe(200);
    const answer = await report(body, published[0] as KeyPair);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual([
      { token_hash: sha256(real), token_type: "patgate_pat", label: "true_positive" },
      { token_hash: sha256(forged), token_type: "patgate_pat", label: "false_positive" },
    ]);
    expect((await issuer.store.get(record.tokenId))?.isRevoked).toBe(true);
    expect(await exchangeStatus(real)).toBe(400);
    const line = issuer.audit.find((event) => event.action === "token.leaked" && event.tokenId === record.tokenId);
    expect(line?.details).toMatchObject({ url: "https://github.com/o/r/blob/x/.env", source: "content" });
  });

  it("refuses a bad signature with 401 and revokes nothing", async () => {
    const { token, record } = await issuer.store.issue({ owner: "leaky2" });
    const body = JSON.stringify([{ token, type: "patgate_pat" }]);
    const stranger = keyPair("key-1");
    const answer = await report(body, published[0] as KeyPair, stranger.privateKey);
    expect(answer.statusCode).toBe(401);
    const tampered = await issuer.app.inject({
      method: "POST",
      url: "/leaks/github",
      headers: {
        "content-type": "application/json",
        "github-public-key-identifier": "key-1",
        "github-public-key-signature": sign("sha256", Buffer.from("[]"), {
          key: (published[0] as KeyPair).privateKey,
          dsaEncoding: "der",
        }).toString("base64"),
      },
      payload: body,
    });
    expect(tampered.statusCode).toBe(401);
    expect((await issuer.store.get(record.tokenId))?.isRevoked).toBe(false);
  });

  it("fetches the keys again once for an unknown identifier (a key GitHub just added), not for every forged one", async () => {
    const { token, record } = await issuer.store.issue({ owner: "leaky3" });
    const before = keyFetches;
    const added = keyPair("key-2");
    published.push(added);
    expect((await report(JSON.stringify([{ token, type: "patgate_pat" }]), added)).statusCode).toBe(200);
    expect(keyFetches).toBe(before + 1);
    expect((await issuer.store.get(record.tokenId))?.isRevoked).toBe(true);
    for (let i = 0; i < 5; i++) expect((await report("[]", keyPair(`forged-${i}`))).statusCode).toBe(401);
    expect(keyFetches).toBe(before + 1);
  });
});

describe("POST /leaks/report", () => {
  it("answers 202 whatever the tokens are, and revokes the real ones", async () => {
    const { token: real, record } = await issuer.store.issue({ owner: "found" });
    const answer = await issuer.app.inject({
      method: "POST",
      url: "/leaks/report",
      payload: { tokens: [real, "pat_nope", `pat_${"Z".repeat(21)}.${"y".repeat(49)}`] },
    });
    expect(answer.statusCode).toBe(202);
    const garbage = await issuer.app.inject({ method: "POST", url: "/leaks/report", payload: { tokens: ["x"] } });
    expect(garbage.statusCode).toBe(202);
    expect(garbage.json()).toEqual({ accepted: 1 });
    await until(async () => (await issuer.store.get(record.tokenId))?.isRevoked, {
      message: "the reported PAT to be revoked",
      timeoutMs: 5000,
    });
  });

  it("refuses more than 1000 tokens and a body that is not a token list", async () => {
    const tooMany = await issuer.app.inject({
      method: "POST",
      url: "/leaks/report",
      payload: { tokens: Array.from({ length: 1001 }, () => "x") },
    });
    expect(tooMany.statusCode).toBe(400);
    const wrong = await issuer.app.inject({ method: "POST", url: "/leaks/report", payload: { tokens: "x" } });
    expect(wrong.statusCode).toBe(400);
  });
});
