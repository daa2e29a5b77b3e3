import type { JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SetReceiver, startSetReceiver } from "../../../../test/harness/set-receiver.js";
import { until } from "../../../../test/harness/until.js";
import { tokenEvent } from "../../src/events/token-events.js";
import { ISSUER } from "../app-fixture.js";
import { signInWithPat } from "../console/console-client.js";
import { type SsfTestIssuer, ssfTestIssuer } from "./ssf-fixture.js";

// Every token change SPEC lists, as SETs: pushed to a real HTTP receiver that
// checks each one with jose against the issuer's JWKS, and polled by a
// receiver that acknowledges.

const PUSH = "urn:ietf:rfc:8935";
const POLL = "urn:ietf:rfc:8936";
const SESSION = "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
const COMPROMISE = "https://schemas.openid.net/secevent/risc/event-type/credential-compromise";
const VERIFICATION = "https://schemas.openid.net/secevent/ssf/event-type/verification";

let t: SsfTestIssuer;
let receiver: SetReceiver;
let admin: string;

beforeAll(async () => {
  t = await ssfTestIssuer({ allowPrivate: true, attempts: 3 });
  admin = await t.adminJwt();
  receiver = await startSetReceiver({
    issuer: ISSUER,
    audience: "push-rx",
    authorization: "Bearer receiver-secret",
    jwks: async () => (await t.app.inject({ url: "/.well-known/jwks.json" })).json() as JSONWebKeySet,
  });
});
afterAll(async () => {
  await t.close();
  await receiver.close();
});

function call(method: "GET" | "POST" | "PATCH" | "DELETE", url: string, jwt: string, payload?: unknown) {
  return t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${jwt}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

async function stream(jwt: string, delivery: Record<string, unknown>): Promise<string> {
  const response = await call("POST", "/ssf/stream", jwt, { delivery });
  expect(response.statusCode).toBe(201);
  return response.json().stream_id as string;
}

/** Polls (acknowledging `ack`) until `count` SETs have been handed out in all; returns them by jti. */
async function pollAll(jwt: string, streamId: string, count: number): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  let ack: string[] = [];
  await until(
    async () => {
      const response = await call("POST", `/ssf/poll/${streamId}`, jwt, { ack, maxEvents: 5, returnImmediately: true });
      expect(response.statusCode).toBe(200);
      const sets = response.json().sets as Record<string, string>;
      for (const [jti, set] of Object.entries(sets)) seen.set(jti, set);
      ack = Object.keys(sets);
      return seen.size >= count ? true : undefined;
    },
    { message: `${count} SETs polled` },
  );
  if (ack.length > 0)
    expect((await call("POST", `/ssf/poll/${streamId}`, jwt, { ack, maxEvents: 0 })).statusCode).toBe(200);
  return seen;
}

describe("every token change becomes a SET, pushed and polled", () => {
  it("create, rotate, update, revoke, restore, expire, leak, deny a jti, revoke an owner", async () => {
    const pushJwt = await t.receiverJwt("push-rx");
    const pollJwt = await t.receiverJwt("poll-rx");
    await stream(pushJwt, { method: PUSH, endpoint_url: receiver.url, authorization_header: "Bearer receiver-secret" });
    const pollStream = await stream(pollJwt, { method: POLL });

    const created = await call("POST", "/admin/tokens", admin, { owner: "alice", roles: ["read"] });
    expect(created.statusCode).toBe(201);
    const { record: made, token } = created.json() as { record: { tokenId: string }; token: string };
    const tokenId = made.tokenId;
    expect((await call("POST", `/admin/tokens/${tokenId}/rotate`, admin, { graceSeconds: 0 })).statusCode).toBe(200);
    expect((await call("PATCH", `/admin/tokens/${tokenId}`, admin, { roles: ["read", "write"] })).statusCode).toBe(200);
    expect((await call("POST", `/admin/tokens/${tokenId}/revoke`, admin)).statusCode).toBe(200);
    expect((await call("POST", `/admin/tokens/${tokenId}/restore`, admin)).statusCode).toBe(200);
    expect((await call("POST", "/admin/jwts/revoke", admin, { jti: "a-jwt-id" })).statusCode).toBe(200);
    expect((await call("POST", "/admin/owners/alice/revoke", admin)).statusCode).toBe(200);
    // The scheduler's expiry event, as the lifecycle emits it.
    const record = await t.store.get(tokenId);
    if (!record) throw new Error("no record");
    await t.ssf.transmitter.sink.emit(tokenEvent("token.expired", record, { actor: "patgate" }, Date.now()));
    // A leak: a second PAT, reported.
    const leaked = await call("POST", "/admin/tokens", admin, { owner: "bob", roles: ["read"] });
    const leakedPat = leaked.json().token as string;
    const report = await t.app.inject({ method: "POST", url: "/leaks/report", payload: { tokens: [leakedPat] } });
    expect(report.statusCode).toBe(202);
    expect(token).toBeTypeOf("string");

    // alice: created, rotated, updated, revoked, restored, revoked (owner), expired; jti; owner; bob: created, revoked, leaked.
    const expected = 12;
    await until(() => (receiver.accepted().size >= expected ? true : undefined), { message: "12 SETs pushed" });
    expect(receiver.problems).toEqual([]);
    const pushed = [...receiver.accepted().values()];
    const summary = pushed.map((s) => `${s.type.split("/").pop()} ${String(s.event.change_type ?? "")}`.trim());
    // Pushes run side by side: what arrived, not in which order.
    expect(summary.sort()).toEqual(
      [
        "credential-change create",
        "credential-change update",
        "credential-change update",
        "credential-change revoke",
        "credential-change update",
        "session-revoked",
        "credential-change revoke",
        "session-revoked",
        "credential-change delete",
        "credential-change create",
        "credential-change revoke",
        "credential-compromise",
      ].sort(),
    );
    const ownerOf = (s: (typeof pushed)[number]) => (s.payload.sub_id as { user?: { sub?: string } }).user?.sub;
    const first = pushed.find((s) => s.event.change_type === "create" && ownerOf(s) === "alice");
    expect(first?.payload.sub_id).toEqual({
      format: "complex",
      user: { format: "iss_sub", iss: ISSUER, sub: "alice" },
      application: { format: "opaque", id: tokenId },
    });
    expect(first?.event).toMatchObject({ credential_type: "app", initiating_entity: "admin" });
    expect(first?.event.event_timestamp).toBeTypeOf("number");
    expect(first?.event.reason_admin).toEqual({ en: "personal access token created" });
    const jtiDenied = pushed.find((s) => s.type === SESSION && s.payload.sub_id.format === "jwt_id");
    expect(jtiDenied?.payload.sub_id).toEqual({ format: "jwt_id", iss: ISSUER, jti: "a-jwt-id" });
    const owner = pushed.find((s) => s.type === SESSION && s.payload.sub_id.format === "iss_sub");
    expect(owner?.payload.sub_id).toEqual({ format: "iss_sub", iss: ISSUER, sub: "alice" });
    const compromise = pushed.find((s) => s.type === COMPROMISE);
    expect(compromise?.event).toMatchObject({ credential_type: "app" });
    // The same change, two streams: one txn, two jtis.
    expect(new Set(pushed.map((s) => s.jti)).size).toBe(expected);

    // The poll receiver gets the same twelve, its own jtis, aud its own.
    const polled = await pollAll(pollJwt, pollStream, expected);
    const payloads = await Promise.all([...polled.values()].map((set) => t.verifySet(set, "poll-rx")));
    const pairs = (list: { type: string; txn: unknown }[]) => list.map((x) => `${x.txn} ${x.type}`).sort();
    expect(pairs(payloads.map((p) => ({ type: Object.keys(p.events)[0] ?? "", txn: p.txn })))).toEqual(
      pairs(pushed.map((s) => ({ type: s.type, txn: s.payload.txn }))),
    );
    // Acknowledged: nothing comes again.
    const after = await call("POST", `/ssf/poll/${pollStream}`, pollJwt, { returnImmediately: true });
    expect(after.json()).toEqual({ sets: {}, moreAvailable: false });
  });
});

describe("poll (RFC 8936)", () => {
  it("unacknowledged SETs come again; maxEvents bounds a page; a long poll wakes on a SET", async () => {
    const jwt = await t.receiverJwt("poll-again");
    const id = await stream(jwt, { method: POLL });
    for (let i = 0; i < 3; i += 1)
      expect((await call("POST", "/ssf/verify", jwt, { stream_id: id, state: `s${i}` })).statusCode).toBe(204);
    const page = (await call("POST", `/ssf/poll/${id}`, jwt, { maxEvents: 2, returnImmediately: true })).json();
    expect(Object.keys(page.sets)).toHaveLength(2);
    expect(page.moreAvailable).toBe(true);
    const again = (await call("POST", `/ssf/poll/${id}`, jwt, { maxEvents: 2, returnImmediately: true })).json();
    expect(Object.keys(again.sets)).toEqual(Object.keys(page.sets));
    const rest = (
      await call("POST", `/ssf/poll/${id}`, jwt, { ack: Object.keys(page.sets), returnImmediately: true })
    ).json();
    expect(Object.keys(rest.sets)).toHaveLength(1);
    // A repeated ack (a lost response) is not "unknown".
    expect((await call("POST", `/ssf/poll/${id}`, jwt, { ack: Object.keys(page.sets), maxEvents: 0 })).statusCode).toBe(
      200,
    );
    await call("POST", `/ssf/poll/${id}`, jwt, { ack: Object.keys(rest.sets), maxEvents: 0 });
    // Long poll: waits, and a SET queued meanwhile ends the wait.
    const waiting = call("POST", `/ssf/poll/${id}`, jwt, {});
    await call("POST", "/ssf/verify", jwt, { stream_id: id, state: "late" });
    const woke = (await waiting).json();
    const [set] = Object.values(woke.sets as Record<string, string>);
    expect((await t.verifySet(set as string, "poll-again")).events).toEqual({ [VERIFICATION]: { state: "late" } });
  });
});

describe("paused keeps, disabled drops, removed subjects are silent", () => {
  it("a paused push stream holds its SETs and delivers them once enabled; a disabled one gets none", async () => {
    const rx = await startSetReceiver({
      issuer: ISSUER,
      audience: "pause-rx",
      jwks: async () => (await t.app.inject({ url: "/.well-known/jwks.json" })).json() as JSONWebKeySet,
    });
    try {
      const jwt = await t.receiverJwt("pause-rx");
      const id = await stream(jwt, { method: PUSH, endpoint_url: rx.url });
      await call("POST", "/ssf/status", jwt, { stream_id: id, status: "paused" });
      await call("POST", "/ssf/verify", jwt, { stream_id: id, state: "held" });
      const streams = (await call("GET", "/admin/ssf/streams", admin)).json().items as {
        streamId: string;
        queued: number;
        status: string;
      }[];
      expect(streams.find((s) => s.streamId === id)).toMatchObject({ status: "paused", queued: 2 });
      expect(rx.received).toHaveLength(0);
      await call("POST", "/ssf/status", jwt, { stream_id: id, status: "enabled" });
      await until(() => (rx.accepted().size >= 3 ? true : undefined), { message: "held SETs released" });
      // Held ones are released, then "enabled" sent; pushes run side by side, so no order is promised.
      expect(rx.received.map((s) => s.event.status ?? s.event.state).sort()).toEqual(["enabled", "held", "paused"]);

      await call("POST", "/ssf/status", jwt, { stream_id: id, status: "disabled" });
      await call("POST", "/ssf/verify", jwt, { stream_id: id, state: "dropped" });
      await call("POST", "/admin/tokens", admin, { owner: "carol", roles: ["read"] });
      const listed = (await call("GET", "/admin/ssf/streams", admin)).json().items as {
        streamId: string;
        queued: number;
      }[];
      expect(listed.find((s) => s.streamId === id)?.queued).toBe(0);
      expect(rx.problems).toEqual([]);
      expect(rx.received).toHaveLength(3);
    } finally {
      await rx.close();
    }
  });

  it("a paused stream keeps up to its bound; past it SETs are dropped", async () => {
    const small = await ssfTestIssuer({ maxQueued: 2 });
    try {
      const jwt = await small.receiverJwt("bounded");
      const response = await small.app.inject({
        method: "POST",
        url: "/ssf/stream",
        headers: { authorization: `Bearer ${jwt}` },
        payload: { delivery: { method: POLL } },
      });
      const id = response.json().stream_id as string;
      for (const state of ["a", "b", "c"])
        await small.app.inject({
          method: "POST",
          url: "/ssf/verify",
          headers: { authorization: `Bearer ${jwt}` },
          payload: { stream_id: id, state },
        });
      expect(await small.ssf.queue.count(id)).toBe(2);
    } finally {
      await small.close();
    }
  });

  it("a removed subject's SETs are not sent; added back, they are", async () => {
    const jwt = await t.receiverJwt("subjects-rx");
    const id = await stream(jwt, { method: POLL });
    const dave = { format: "iss_sub", iss: ISSUER, sub: "dave" };
    expect((await call("POST", "/ssf/subjects/remove", jwt, { stream_id: id, subject: dave })).statusCode).toBe(204);
    await call("POST", "/admin/tokens", admin, { owner: "dave", roles: ["read"] });
    expect(await t.ssf.queue.count(id)).toBe(0);
    expect(
      (await call("POST", "/ssf/subjects/add", jwt, { stream_id: id, subject: dave, verified: true })).statusCode,
    ).toBe(200);
    await call("POST", "/admin/tokens", admin, { owner: "dave", roles: ["read"] });
    expect(await t.ssf.queue.count(id)).toBe(1);
  });
});

describe("failing pushes are visible", () => {
  it("listed at /admin/ssf/deliveries with the receiver's answer, the stream's last delivery says so, and retry works", async () => {
    const rx = await startSetReceiver({
      issuer: ISSUER,
      audience: "down-rx",
      jwks: async () => (await t.app.inject({ url: "/.well-known/jwks.json" })).json() as JSONWebKeySet,
    });
    try {
      rx.reply = () => 503;
      const jwt = await t.receiverJwt("down-rx");
      const id = await stream(jwt, { method: PUSH, endpoint_url: rx.url });
      await call("POST", "/ssf/verify", jwt, { stream_id: id, state: "x" });
      const failed = await until(
        async () => {
          const items = (await call("GET", "/admin/ssf/deliveries?state=failed", admin)).json().items as {
            jti: string;
            streamId: string;
            lastStatus?: number;
          }[];
          return items.find((d) => d.streamId === id);
        },
        { message: "the push listed as failed" },
      );
      expect(failed.lastStatus).toBe(503);
      const streams = (await call("GET", "/admin/ssf/streams", admin)).json().items as {
        streamId: string;
        lastDelivery?: { ok: boolean; status?: number };
      }[];
      expect(streams.find((s) => s.streamId === id)?.lastDelivery).toMatchObject({ ok: false, status: 503 });
      // The console's admin page: the stream, its state and last delivery, and the failed push.
      const { token: consolePat } = await t.store.issue({ owner: "ops", isAdmin: true, roles: ["admin"] });
      const page = await (await signInWithPat(t.app, consolePat)).get("/console/admin/signals");
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(id);
      expect(page.body).toMatch(/enabled/);
      expect(page.body).toMatch(/failed: HTTP 503/);
      expect(page.body).toContain(failed.jti);
      rx.reply = () => 202;
      expect((await call("POST", `/admin/ssf/deliveries/${failed.jti}/retry`, admin)).statusCode).toBe(202);
      await until(() => (rx.accepted().has(failed.jti) ? true : undefined), { message: "retried" });
      // Every attempt carried the same SET.
      expect(new Set(rx.received.map((s) => s.set)).size).toBe(1);
    } finally {
      await rx.close();
    }
  });
});
