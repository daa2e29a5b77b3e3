import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import {
  newWebhookSecret,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../../../../test/harness/webhook-receiver.js";
import { createWebhookDeliveries, createWebhookTable } from "../../src/webhooks/webhook-deliveries.js";
import { createWebhooks, type Webhooks } from "../../src/webhooks/webhooks.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { signInWithPat } from "./console-client.js";

// The admin pages over real stores: a webhook receiver that refuses everything, so that the
// console's own changes end up as failing deliveries.
let issuer: TestIssuer;
let receiver: WebhookReceiver;
let webhooks: Webhooks;
let adminPat: string;

beforeAll(async () => {
  const secret = newWebhookSecret();
  receiver = await startWebhookReceiver(secret);
  receiver.reply = () => 500;
  const client = testDynamoClient();
  const table = uniqueName("console-webhooks");
  await createWebhookTable(client, table);
  webhooks = createWebhooks({
    deliveries: createWebhookDeliveries(client, table),
    webhook: { url: receiver.url, secret },
    retry: { attempts: 1, backoffMs: 10 },
    pollMs: 20,
  });
  issuer = await testIssuer({}, { webhooks, events: webhooks.sink });
  adminPat = (await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["deploy"] })).token;
});
afterAll(async () => {
  await issuer.app.close();
  await webhooks.close();
  await receiver.close();
});

describe("console admin pages", () => {
  it("lists the webhook deliveries that failed, with the receiver's answer", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    await client.get("/console/tokens/new");
    expect((await client.post("/console/tokens", { name: "hooked", expires: "30" })).statusCode).toBe(201);
    const deadline = Date.now() + 15_000;
    let body = "";
    while (!body.includes("HTTP 500")) {
      if (Date.now() > deadline) throw new Error(`no failed delivery listed:\n${body}`);
      await new Promise((r) => setTimeout(r, 50));
      body = (await client.get("/console/admin/webhooks")).body;
    }
    expect(body).toContain("token.created");
  });

  it("revokes every token of an owner only with the confirmation ticked", async () => {
    const { token } = await issuer.store.issue({ owner: "svc", roles: [] });
    const client = await signInWithPat(issuer.app, adminPat);
    await client.get("/console/admin/tokens");
    expect((await client.post("/console/admin/owners/revoke", { owner: "svc" })).statusCode).toBe(400);
    expect((await issuer.store.verify(token)).ok).toBe(true);
    const done = await client.post("/console/admin/owners/revoke", { owner: "svc", confirm: "yes" });
    expect(done.statusCode).toBe(303);
    expect((await issuer.store.verify(token)).ok).toBe(false);
    const line = issuer.audit.find((e) => e.action === "owner.revoke" && e.actor === "root (console)");
    expect(line?.details).toEqual({ owner: "svc" });
  });
});
