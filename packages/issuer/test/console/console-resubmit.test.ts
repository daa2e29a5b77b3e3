import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TokenStore } from "../../src/tokens/types.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";
import { type ConsoleClient, signInWithPat } from "./console-client.js";
import { DELAYS, expectAlreadyDone, expectOneCreated, resend, SECRET_FIELD, turns } from "./resubmit-fixture.js";

// The page that shows a new (or rotated) secret answers a POST: reloading it re-sends the form
// (headless Chromium without asking), and a double click sends it twice. One issuer, no Redis:
// the one-time form keys live in the process.
let issuer: TestIssuer;
let client: ConsoleClient;
const OWNER = "racer";

beforeAll(async () => {
  issuer = await testIssuer();
  const { token } = await issuer.store.issue({ owner: OWNER, isAdmin: true, roles: ["deploy"] });
  client = await signInWithPat(issuer.app, token);
});
afterAll(async () => {
  await issuer.app.close();
});

async function tokensNamed(name: string): Promise<string[]> {
  const { items } = await issuer.store.list({ owner: OWNER, limit: 100 });
  return items.filter((record) => record.name === name).map((record) => record.tokenId);
}

const createdLines = (tokenId: string) =>
  issuer.audit.filter((line) => line.action === "token.create" && line.tokenId === tokenId);

describe("a create form sent again", () => {
  it("answers a reload of the secret page with 'already created', a link, no secret, and no second PAT", async () => {
    await client.get("/console/tokens/new");
    const first = await client.post("/console/tokens", { name: "reloaded", roles: "deploy", expires: "30" });
    expect(first.statusCode).toBe(201);
    expect(first.body).toMatch(SECRET_FIELD);
    const reload = await client.post("/console/tokens", { name: "reloaded", roles: "deploy", expires: "30" });
    const [tokenId] = await tokensNamed("reloaded");
    expectAlreadyDone(reload, "Token already created", tokenId ?? "-");
    // Once more, as a person pressing F5 twice would.
    const again = await client.post("/console/tokens", { name: "reloaded", roles: "deploy", expires: "30" });
    expectAlreadyDone(again, "Token already created", tokenId ?? "-");
    expect(await tokensNamed("reloaded")).toEqual([tokenId]);
    expect(createdLines(tokenId ?? "-")).toHaveLength(1);
    // The link leads to the token, which the person can rotate for a secret they did not copy.
    expect((await client.get(`/console/tokens/${tokenId}`)).body).toContain("<h1>reloaded</h1>");
  });

  it("creates exactly one PAT from two submissions racing, whichever arrives when (many times)", async () => {
    for (let round = 0; round < 24; round++) {
      const delay = DELAYS[round % DELAYS.length] ?? 0;
      const name = `race ${round}`;
      await client.get("/console/tokens/new");
      const form = { name, expires: "7" };
      const first = resend(issuer.app, client, "/console/tokens", form);
      await turns(delay);
      const answers = await Promise.all([first, resend(issuer.app, client, "/console/tokens", form)]);
      const tokenId = expectOneCreated(answers);
      expect(await tokensNamed(name), `round ${round}, delay ${delay}`).toEqual([tokenId]);
    }
  });

  it("answers a form re-sent while the first is stuck with a 409 page after a wait, then 'already created'", async () => {
    const { store: real } = await freshStore();
    let release = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A store whose writes hang until released: the first submission's change is still running.
    const store: TokenStore = { ...real, issue: async (input) => stuck.then(() => real.issue(input)) };
    const slow = await testIssuer({}, { store });
    try {
      const { token } = await real.issue({ owner: OWNER, isAdmin: true, roles: [] });
      const owner = await signInWithPat(slow.app, token);
      await owner.get("/console/tokens/new");
      const first = resend(slow.app, owner, "/console/tokens", { name: "stuck", expires: "7" });
      const second = await resend(slow.app, owner, "/console/tokens", { name: "stuck", expires: "7" });
      expect(second.statusCode).toBe(409);
      expect(second.body).toContain("the first is still being handled");
      expect(second.body).not.toMatch(/pat_[0-9A-Za-z]{21}\./);
      release();
      const made = await first;
      expect(made.statusCode).toBe(201);
      const { items } = await real.list({ owner: OWNER });
      const created = items.filter((record) => record.name === "stuck");
      expect(created).toHaveLength(1);
      const third = await resend(slow.app, owner, "/console/tokens", { name: "stuck", expires: "7" });
      expectAlreadyDone(third, "Token already created", created[0]?.tokenId ?? "-");
    } finally {
      release();
      await slow.app.close();
    }
  });

  it("gives the form back when its change fails, so the corrected form creates the PAT (once)", async () => {
    await client.get("/console/tokens/new");
    const refused = await client.post("/console/tokens", { name: "fixed", roles: "billing", expires: "30" });
    expect(refused.statusCode).toBe(403);
    expect(await tokensNamed("fixed")).toEqual([]);
    const fixed = await client.post("/console/tokens", { name: "fixed", roles: "deploy", expires: "30" });
    expect(fixed.statusCode).toBe(201);
    const resent = await client.post("/console/tokens", { name: "fixed", roles: "deploy", expires: "30" });
    expect(resent.statusCode).toBe(200);
    expect(await tokensNamed("fixed")).toHaveLength(1);
  });

  it("refuses a form without a valid one-time key with a 400 page, creating nothing", async () => {
    await client.get("/console/tokens/new");
    for (const formKey of ["", "short", "x".repeat(22).replace("x", "{"), "a".repeat(23)]) {
      const response = await client.post("/console/tokens", { name: "keyless", expires: "30", formKey });
      expect(response.statusCode, formKey).toBe(400);
      expect(response.body).toContain("This form is out of date.");
    }
    expect(await tokensNamed("keyless")).toEqual([]);
  });

  it("gives every rendering of a form its own key: two forms opened, two PATs", async () => {
    await client.get("/console/tokens/new");
    const firstKey = client.formKey;
    expect(firstKey).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await client.post("/console/tokens", { name: "twice on purpose", expires: "7" })).statusCode).toBe(201);
    await client.get("/console/tokens/new");
    expect(client.formKey).not.toBe(firstKey);
    expect((await client.post("/console/tokens", { name: "twice on purpose", expires: "7" })).statusCode).toBe(201);
    expect(await tokensNamed("twice on purpose")).toHaveLength(2);
  });
});

describe("a rotate form sent again", () => {
  it("does not rotate twice on a reload: the secret shown first keeps working, even with no grace", async () => {
    const { record } = await issuer.store.issue({ owner: OWNER, roles: [], name: "rotated once" });
    await client.get(`/console/tokens/${record.tokenId}`);
    const first = await client.post(`/console/tokens/${record.tokenId}/rotate`, { graceSeconds: "0" });
    expect(first.statusCode).toBe(200);
    const secret = SECRET_FIELD.exec(first.body)?.[1] ?? "";
    const reload = await client.post(`/console/tokens/${record.tokenId}/rotate`, { graceSeconds: "0" });
    expectAlreadyDone(reload, "Token already rotated", record.tokenId);
    await expect(issuer.exchange(secret)).resolves.toMatch(/^eyJ/);
  });

  it("rotates exactly once from two submissions racing (many times)", async () => {
    const { record } = await issuer.store.issue({ owner: OWNER, roles: [], name: "raced rotation" });
    const url = `/console/tokens/${record.tokenId}/rotate`;
    for (let round = 0; round < 16; round++) {
      const delay = DELAYS[round % DELAYS.length] ?? 0;
      await client.get(`/console/tokens/${record.tokenId}`);
      const first = resend(issuer.app, client, url, { graceSeconds: "0" });
      await turns(delay);
      const answers = await Promise.all([first, resend(issuer.app, client, url, { graceSeconds: "0" })]);
      const shown = answers.filter((answer) => SECRET_FIELD.test(answer.body));
      expect(shown, `round ${round}, delay ${delay}`).toHaveLength(1);
      for (const answer of answers.filter((a) => !SECRET_FIELD.test(a.body)))
        expectAlreadyDone(answer, "Token already rotated", record.tokenId);
      // Rotated twice, the secret shown would already be the previous one, refused without grace.
      await expect(issuer.exchange(SECRET_FIELD.exec(shown[0]?.body ?? "")?.[1] ?? "")).resolves.toMatch(/^eyJ/);
    }
    const rotations = issuer.audit.filter((line) => line.action === "token.rotate" && line.tokenId === record.tokenId);
    expect(rotations).toHaveLength(16);
  });
});
