import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { until } from "../../../../test/harness/until.js";
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
    const body = await until(
      async () => {
        const page = (await client.get("/console/admin/webhooks")).body;
        return page.includes("HTTP 500") && page;
      },
      { message: "a failed delivery listed" },
    );
    expect(body).toContain("token.created");
    // A cursor that is not the store's is a 400 page, not a 500.
    expect((await client.get("/console/admin/webhooks?cursor=not-a-cursor")).statusCode).toBe(400);
  });

  it("retries a failed delivery from its button: back to pending, attributed to the console admin", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    await client.get("/console/tokens/new");
    const made = await client.post("/console/tokens", { name: "retried", expires: "30" });
    const tokenId = /\/console\/tokens\/([0-9A-Za-z]{21})/.exec(made.body)?.[1];
    const failedOf = async (): Promise<string | undefined> => {
      const page = await webhooks.deliveries.list({ state: "failed", limit: 100 });
      for (const d of page.items) if (d.body.includes(tokenId ?? "-")) return d.id;
      return undefined;
    };
    const eventId = await until(failedOf, { message: "the delivery to fail" });
    const listed = await client.get("/console/admin/webhooks");
    expect(listed.body).toContain(`action="/console/admin/webhooks/${eventId}/retry"`);

    // Without the page's CSRF token, nothing is requeued.
    const forged = await client.post(`/console/admin/webhooks/${eventId}/retry`, { _csrf: "forged" });
    expect(forged.statusCode).toBe(403);
    expect((await webhooks.deliveries.get(eventId))?.state).toBe("failed");

    // The retried attempt hangs at the receiver, so the delivery stays pending while we look.
    receiver.reply = (attempt, nth) => (attempt.id === eventId && nth >= 2 ? "hang" : 500);
    const retried = await client.post(`/console/admin/webhooks/${eventId}/retry`, {});
    expect(retried.statusCode).toBe(303);
    expect(retried.headers.location).toBe("/console/admin/webhooks?done=retried");
    expect((await webhooks.deliveries.get(eventId))?.state).toBe("pending");
    const line = issuer.audit.find((e) => e.action === "webhook.retry" && e.details?.eventId === eventId);
    expect(line).toMatchObject({ actor: "root (console)", result: "success" });
    await until(() => receiver.received.filter((r) => r.id === eventId).length >= 2, {
      message: "the retried delivery to be attempted",
    });

    // An id with no failed delivery: a 404 page, audited as a failure.
    const again = await client.post("/console/admin/webhooks/msg_0000000000000000000000/retry", {});
    expect(again.statusCode).toBe(404);
    const failures = issuer.audit.filter((e) => e.action === "webhook.retry" && e.result === "failure");
    expect(failures.at(-1)).toMatchObject({ actor: "root (console)", reason: "not_found" });
    receiver.reply = () => 500;
    receiver.release();
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

  it("pages the owner's list with the store's cursor: every PAT once, none of another owner's", async () => {
    const admin = await issuer.store.issue({ owner: "many", isAdmin: true, roles: [] });
    const made = [admin.record.tokenId];
    for (let i = 0; i < 100; i++) made.push((await issuer.store.issue({ owner: "many", roles: [] })).record.tokenId);
    const client = await signInWithPat(issuer.app, admin.token);
    const rows = (body: string) => [...body.matchAll(/data-token-id="([0-9A-Za-z]{21})"/g)].map((m) => m[1]);

    const first = await client.get("/console");
    const next = /<a href="(\/console\?cursor=[^"]+)">Next page<\/a>/.exec(first.body)?.[1];
    expect(rows(first.body)).toHaveLength(100);
    expect(next).toBeDefined();
    const second = await client.get((next ?? "").replaceAll("&amp;", "&"));
    expect(second.statusCode).toBe(200);
    expect(second.body).not.toContain("Next page");
    const seen = [...rows(first.body), ...rows(second.body)];
    expect(new Set(seen).size).toBe(101);
    expect(seen.sort()).toEqual([...made].sort());

    // A cursor that is not the store's is a 400 page, not a 500.
    expect((await client.get("/console?cursor=not-a-cursor")).statusCode).toBe(400);
  }, 60_000);
});
