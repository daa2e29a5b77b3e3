import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServiceAccountStore } from "../../src/service-accounts/service-account-store.js";
import { ownerTableName } from "../../src/tokens/owner-revisions.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { TYPES, typesFile } from "../authorization/types-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";
import { type ConsoleClient, signInWithPat } from "./console-client.js";

/**
 * The console's create form with the authorization-details picker and the
 * service accounts the person is a member of: a member creates, sees and
 * revokes the account's PATs; anyone else's account is a 403.
 */
let issuer: TestIssuer;
let browser: ConsoleClient;

beforeAll(async () => {
  const { store, client, tableName } = await freshStore({ authorizationTypes: TYPES });
  const serviceAccounts = createServiceAccountStore(client, ownerTableName(tableName));
  issuer = await testIssuer({ PATGATE_AUTHORIZATION_TYPES: await typesFile() }, { store, serviceAccounts });
  await serviceAccounts.create({ name: "ci", members: ["ops"], createdAt: 1, createdBy: "test" });
  await serviceAccounts.create({ name: "billing-bot", members: ["someone"], createdAt: 1, createdBy: "test" });
  const { token } = await store.issue({ owner: "ops", isAdmin: true });
  browser = await signInWithPat(issuer.app, token);
});
afterAll(() => issuer.app.close());

const form = (extra: Record<string, string | string[]>) => ({ name: "deploy", expires: "30", ...extra });

describe("the console's create form", () => {
  it("offers the person's service accounts and a picker of the declared types", async () => {
    const page = await browser.get("/console/tokens/new");
    expect(page.body).toContain('<option value="svc:ci">svc:ci</option>');
    expect(page.body).not.toContain("svc:billing-bot");
    expect(page.body).toContain('name="authz-actions-repository" value="read"');
    expect(page.body).toContain('name="authz-locations-repository"');
    expect(page.body).toContain('name="authz-identifier-billing"');
    expect(page.body).not.toContain('name="authz-locations-billing"');
  });

  it("creates a service account's PAT with the picked details, listed for its members", async () => {
    await browser.get("/console/tokens/new");
    const created = await browser.post(
      "/console/tokens",
      form({
        owner: "svc:ci",
        "authz-actions-repository": ["read", "write"],
        "authz-locations-repository": "acme/api, acme/web",
        "authz-actions-billing": "read",
        "authz-identifier-billing": "acct-7",
      }),
    );
    expect(created.statusCode).toBe(201);
    const [record] = (await issuer.store.list({ owner: "svc:ci" })).items;
    expect(record?.authorizationDetails).toEqual([
      { type: "repository", actions: ["read", "write"], locations: ["acme/api", "acme/web"] },
      { type: "billing", actions: ["read"], identifier: "acct-7" },
    ]);
    const list = await browser.get("/console");
    expect(list.body).toContain("Tokens of svc:ci (you are a member)");
    const detail = await browser.get(`/console/tokens/${record?.tokenId}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain("repository: read, write at acme/api, acme/web");
    const line = issuer.audit.find((entry) => entry.action === "token.create" && entry.tokenId === record?.tokenId);
    expect(line).toMatchObject({ actor: "ops (console)", details: { for: "svc:ci" } });
  });

  it("refuses an account the person is not a member of, and an undeclared action", async () => {
    await browser.get("/console/tokens/new");
    expect((await browser.post("/console/tokens", form({ owner: "svc:billing-bot" }))).statusCode).toBe(403);
    await browser.get("/console/tokens/new");
    const bad = await browser.post("/console/tokens", form({ "authz-actions-repository": "delete" }));
    expect(bad.statusCode).toBe(400);
    expect((await issuer.store.list({ owner: "svc:billing-bot" })).items).toEqual([]);
  });
});
