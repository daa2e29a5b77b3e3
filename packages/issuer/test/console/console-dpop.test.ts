import { generateKeyPair, generateProof, type KeyPair } from "dpop";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";
import { type ConsoleClient, signInWithPat } from "./console-client.js";

/** The console's proof of possession: at creation (first use, or a pasted public JWK), on the token page, rebinding. */
let issuer: TestIssuer;
let client: ConsoleClient;

beforeAll(async () => {
  issuer = await testIssuer();
  const { token } = await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["admin", "deploy"] });
  client = await signInWithPat(issuer.app, token);
});
afterAll(() => issuer.app.close());

async function keyWithJwk(): Promise<{ pair: KeyPair; jwk: string; jkt: string }> {
  const pair = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  return { pair, jwk: JSON.stringify(publicJwk), jkt: await calculateJwkThumbprint(publicJwk) };
}

/** Creates a PAT through the form; returns its id. */
async function create(name: string, extra: Record<string, string>): Promise<string> {
  await client.get("/console/tokens/new");
  const response = await client.post("/console/tokens", { name, roles: ["deploy"], expires: "30", ...extra });
  expect(response.statusCode, response.body.slice(0, 400)).toBe(201);
  const id = /\/console\/tokens\/([0-9A-Za-z]{21})/.exec(response.body)?.[1];
  if (!id) throw new Error("no token id on the page");
  return id;
}

async function exchange(secret: string, pair?: KeyPair) {
  return issuer.app.inject({
    method: "POST",
    url: "/token",
    headers: pair ? { dpop: await generateProof(pair, `${ISSUER}/token`, "POST") } : {},
    payload: {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      subject_token: secret,
    },
  });
}

describe("the console's proof of possession", () => {
  it("offers the box on the create form; ticked alone, the PAT binds on first use and the page says so", async () => {
    const form = await client.get("/console/tokens/new");
    expect(form.body).toContain('name="dpop"');
    expect(form.body).toContain("Require proof of possession");
    const id = await create("first-use", { dpop: "on" });
    expect(await issuer.store.get(id)).toMatchObject({ dpopBindOnFirstUse: true });
    expect((await client.get(`/console/tokens/${id}`)).body).toContain("bound to the key of its first exchange");
  });

  it("binds to a pasted public JWK now: the thumbprint on the token page, exchanges need that key", async () => {
    const { pair, jwk, jkt } = await keyWithJwk();
    await client.get("/console/tokens/new");
    const response = await client.post("/console/tokens", { name: "pasted", expires: "30", dpop: "on", dpopKey: jwk });
    expect(response.statusCode).toBe(201);
    const secret = /pat_[0-9A-Za-z]{21}\.[A-Za-z0-9_-]+/.exec(response.body)?.[0] as string;
    const id = /\/console\/tokens\/([0-9A-Za-z]{21})/.exec(response.body)?.[1] as string;
    expect((await issuer.store.get(id))?.dpopJkt).toBe(jkt);
    expect((await client.get(`/console/tokens/${id}`)).body).toContain(`<code>${jkt}</code>`);
    expect((await exchange(secret)).json()).toMatchObject({ error_code: "dpop_required" });
    expect((await exchange(secret, pair)).json()).toMatchObject({ token_type: "DPoP" });
  });

  it("refuses a private JWK or anything that is not a public key (400), creating nothing", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const before = (await issuer.store.list({ owner: "root" })).items.length;
    for (const dpopKey of [JSON.stringify(await exportJWK(privateKey)), "not json", '{"kty":"oct","k":"abc"}']) {
      await client.get("/console/tokens/new");
      const response = await client.post("/console/tokens", { name: "bad key", expires: "30", dpopKey });
      expect(response.statusCode).toBe(400);
      expect(response.body).not.toContain('"d"');
    }
    expect((await issuer.store.list({ owner: "root" })).items.length).toBe(before);
  });

  it("rebinds only after a confirmation page, through the token service (the old key's JWTs are denied)", async () => {
    const old = await keyWithJwk();
    const id = await create("rebind", { dpopKey: old.jwk });
    const next = await keyWithJwk();
    await client.get(`/console/tokens/${id}`);
    const confirm = await client.post(`/console/tokens/${id}/dpop`, { dpopKey: next.jwk });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(next.jkt);
    expect(confirm.body).toContain("stops working at once");
    expect((await issuer.store.get(id))?.dpopJkt).toBe(old.jkt); // nothing changed yet
    const done = await client.post(`/console/tokens/${id}/dpop`, { confirm: "yes", dpopJkt: next.jkt });
    expect(done.statusCode).toBe(303);
    expect((await issuer.store.get(id))?.dpopJkt).toBe(next.jkt);
    expect(issuer.audit.some((line) => line.action === "token.update" && line.tokenId === id)).toBe(true);
    const page = await client.get(`/console/tokens/${id}?done=rebound`);
    expect(page.body).toContain("bound to the new key");
  });

  it("does not rebind another owner's PAT (403), nor without a CSRF token (403)", async () => {
    const { token: otherPat, record } = await issuer.store.issue({ owner: "bob", isAdmin: true, roles: ["admin"] });
    const { jwk, jkt } = await keyWithJwk();
    await client.get("/console/tokens/new");
    const foreign = await client.post(`/console/tokens/${record.tokenId}/dpop`, { confirm: "yes", dpopJkt: jkt });
    expect(foreign.statusCode).toBe(403);
    const bob = await signInWithPat(issuer.app, otherPat);
    const noCsrf = await bob.post(`/console/tokens/${record.tokenId}/dpop`, { _csrf: "", dpopKey: jwk });
    expect(noCsrf.statusCode).toBe(403);
    expect((await issuer.store.get(record.tokenId))?.dpopJkt).toBeUndefined();
  });
});
