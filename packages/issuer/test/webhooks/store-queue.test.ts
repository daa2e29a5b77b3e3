import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { until } from "../../../../test/harness/until.js";
import {
  newWebhookSecret,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../../../../test/harness/webhook-receiver.js";
import { type TokenEvent, tokenEvent } from "../../src/events/token-events.js";
import type { TokenRecord } from "../../src/tokens/types.js";
import {
  createWebhookDeliveries,
  createWebhookTable,
  type WebhookDeliveries,
} from "../../src/webhooks/webhook-deliveries.js";
import { createWebhooks, type Webhooks, type WebhooksOptions } from "../../src/webhooks/webhooks.js";

// The embedded default's webhook queue: the delivery table (dynalite here, on
// disk in the embedded store) is the queue, with no Redis at all.

const secret = newWebhookSecret();
let receiver: WebhookReceiver;
const open: Webhooks[] = [];

afterAll(async () => {
  for (const webhooks of open) await webhooks.close();
  await receiver.close();
});

beforeAll(async () => {
  receiver = await startWebhookReceiver(secret);
});

async function freshTable(): Promise<WebhookDeliveries> {
  const client = testDynamoClient();
  const table = uniqueName("webhooks");
  await createWebhookTable(client, table);
  return createWebhookDeliveries(client, table);
}

function embedded(deliveries: WebhookDeliveries, extra: Partial<WebhooksOptions> = {}): Webhooks {
  const webhooks = createWebhooks({
    deliveries,
    webhook: { url: receiver.url, secret },
    retry: { attempts: 5, backoffMs: 300 },
    pollMs: 50,
    ...extra,
  });
  open.push(webhooks);
  return webhooks;
}

const record: TokenRecord = {
  tokenId: "AAAAAAAAAAAAAAAAAAAAA",
  owner: "emb",
  isAdmin: false,
  roles: ["read"],
  isRevoked: false,
  createdAt: 1_700_000_000,
  updatedAt: 1_700_000_000,
  revision: 1,
  ownerRevision: 0,
};

function event(name: string): TokenEvent {
  return tokenEvent("token.updated", { ...record, name }, { actor: "test", changes: ["name"] }, Date.now());
}

/** The delivery's record once it says delivered: it is written a moment after the receiver accepted. */
async function delivered(deliveries: { get(id: string): Promise<{ state: string } | undefined | null> }, id: string) {
  return until(
    async () => {
      const record = await deliveries.get(id);
      return record?.state === "delivered" ? record : undefined;
    },
    { message: "the delivery recorded" },
  );
}

const attemptsOf = (id: string) => receiver.received.filter((r) => r.id === id);

describe("the store-backed webhook queue (embedded)", () => {
  it("keeps a delivery's retries and back-off in the table: a restarted queue picks up where the old one left", async () => {
    const deliveries = await freshTable();
    const first = embedded(deliveries);
    const e = event("restart");
    receiver.reply = (attempt, nth) => (attempt.id === e.id && nth <= 2 ? 503 : 204);
    await first.sink.emit(e);
    await until(() => attemptsOf(e.id).length >= 1, { message: "the first attempt" });
    await first.close(); // the process stops
    const stored = await until(
      async () => {
        const item = await deliveries.get(e.id);
        return item?.lastAttemptAt !== undefined && item;
      },
      { message: "the first attempt recorded" },
    );
    expect(stored).toMatchObject({ state: "pending", attempts: 1, lastStatus: 503 });
    // The back-off is in the table: due 300 ms after the failed attempt.
    expect((stored.dueAt ?? 0) - (stored.lastAttemptAt ?? 0)).toBe(300);

    const attemptsBefore = attemptsOf(e.id).length;
    const second = embedded(deliveries);
    await until(() => receiver.accepted().has(e.id), { message: "delivery after the restart" });
    expect(attemptsBefore).toBe(1);
    const attempts = attemptsOf(e.id);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    expect(attempts.every((a) => a.valid)).toBe(true);
    // Second back-off doubles: 600 ms between the second and the third attempt.
    expect((attempts[2]?.at ?? 0) - (attempts[1]?.at ?? 0)).toBeGreaterThanOrEqual(550);
    expect(await delivered(deliveries, e.id)).toMatchObject({ state: "delivered", attempts: 3 });
    await second.close();
    receiver.reply = () => 204;
  });

  it("makes an attempt again, with the same id, once the lease of a process that died mid-attempt lapses", async () => {
    const deliveries = await freshTable();
    const e = event("lease");
    await deliveries.add(e, Date.now());
    const [due] = await deliveries.due(Date.now(), 10);
    // A process took it (the attempt is counted) and died: nothing answers for it.
    const leaseUntil = Date.now() + 1000;
    expect(await deliveries.claim(e.id, due?.dueAt ?? 0, leaseUntil)).toMatchObject({ attempts: 1 });
    expect(await deliveries.claim(e.id, due?.dueAt ?? 0, leaseUntil)).toBeNull(); // and nobody else can
    embedded(deliveries);
    await until(() => receiver.accepted().has(e.id), { message: "delivery after the lease" });
    expect(attemptsOf(e.id)[0]?.at).toBeGreaterThanOrEqual(leaseUntil);
    expect(await delivered(deliveries, e.id)).toMatchObject({ state: "delivered", attempts: 2 });
  });

  it("two queues on one table attempt each delivery once", async () => {
    const deliveries = await freshTable();
    const a = embedded(deliveries);
    const b = embedded(deliveries);
    const events = Array.from({ length: 30 }, (_, i) => event(`pair-${i}`));
    await Promise.all(events.map((e, i) => (i % 2 ? a : b).sink.emit(e)));
    await until(() => events.every((e) => receiver.accepted().has(e.id)), { message: "every event delivered" });
    for (const e of events) expect(attemptsOf(e.id)).toHaveLength(1);
  });

  it("spends its attempts, then lists the delivery as failed and counts it", async () => {
    const deliveries = await freshTable();
    let failed = 0;
    embedded(deliveries, { retry: { attempts: 3, backoffMs: 50 }, onFailed: () => failed++ });
    const e = event("hopeless");
    receiver.reply = (attempt) => (attempt.id === e.id ? 500 : 204);
    const recorder = createWebhooks({ deliveries, webhook: { url: receiver.url, secret }, deliver: false });
    open.push(recorder);
    await recorder.sink.emit(e); // recorded by a process that does not deliver (the CLI)
    await until(async () => (await deliveries.get(e.id))?.state === "failed", { message: "the delivery failed" });
    expect(attemptsOf(e.id)).toHaveLength(3);
    expect(failed).toBe(1);
    const page = await deliveries.list({ state: "failed", limit: 10 });
    expect(page.items.map((i) => i.id)).toEqual([e.id]);
    expect(page.items[0]).toMatchObject({ attempts: 3, lastStatus: 500, type: "token.updated" });
    expect(await deliveries.countPending()).toBe(0);
    receiver.reply = () => 204;
  });

  it("records nothing when no webhook is configured", async () => {
    const deliveries = await freshTable();
    const none = createWebhooks({ deliveries });
    open.push(none);
    await none.sink.emit(event("nowhere"));
    expect(await deliveries.countPending()).toBe(0);
  });
});
