import { beforeAll, describe, expect, it } from "vitest";
import { until } from "../../../../test/harness/until.js";
import { TOKEN_EVENT_TYPES, type TokenEvent, type TokenEventData } from "../../src/events/token-events.js";
import type { TokenRecord } from "../../src/tokens/types.js";
import { adminCall, type TestIssuer, testIssuer } from "../app-fixture.js";

/** Each event, with the token's record as DynamoDB had it when the event was emitted. */
interface Seen {
  readonly event: TokenEvent;
  readonly stored: TokenRecord | null;
}

const seen: Seen[] = [];
/** Every PAT this file made: no event may contain one, or a piece of one. */
const secrets: string[] = [];
let issuer: TestIssuer;
let admin: string;
let adminActor: string;

beforeAll(async () => {
  issuer = await testIssuer(
    {},
    {
      events: {
        async emit(event) {
          const tokenId = "tokenId" in event.data ? event.data.tokenId : undefined;
          seen.push({ event, stored: tokenId ? await issuer.store.get(tokenId) : null });
        },
      },
    },
  );
  admin = await issuer.adminJwt();
  const self = await issuer.app.inject({
    url: "/admin/tokens?owner=root",
    headers: { authorization: `Bearer ${admin}` },
  });
  const record = self.json().items[0] as TokenRecord;
  adminActor = `root (${record.tokenId})`;
});

function call(method: "GET" | "POST" | "PATCH", url: string, payload?: Record<string, unknown>) {
  return adminCall(issuer.app, admin, method, url, payload);
}

/** The data of an event about one token. */
function tokenData(s: Seen | undefined): TokenEventData {
  const data = s?.event.data;
  if (!data || !("tokenId" in data)) throw new Error("not an event about one token");
  return data;
}

/** The events emitted while `run` ran. */
async function during(run: () => Promise<unknown>): Promise<Seen[]> {
  const start = seen.length;
  await run();
  return seen.slice(start);
}

describe("lifecycle events of the admin API", () => {
  it("create, update, rotate, revoke, restore: one event each, after the change is in DynamoDB", async () => {
    const [created] = await during(async () => {
      const response = await call("POST", "/admin/tokens", {
        owner: "eve",
        roles: ["read", "write"],
        name: "ci",
        expiresIn: 86_400,
      });
      expect(response.statusCode).toBe(201);
      secrets.push(response.json().token);
    });
    expect(created?.event).toMatchObject({
      type: "token.created",
      data: { owner: "eve", name: "ci", roles: ["read", "write"], isAdmin: false, actor: adminActor },
    });
    const { tokenId, times } = tokenData(created);
    expect(created?.stored?.tokenId).toBe(tokenId);
    expect(times.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(times.expiresAt ?? "") - Date.parse(times.createdAt)).toBe(86_400_000);
    expect(Math.abs(Date.parse(created?.event.timestamp ?? "") - Date.now())).toBeLessThan(5000);

    const updated = await during(() =>
      call("PATCH", `/admin/tokens/${tokenId}`, { name: "deploy", roles: { remove: ["write"] } }),
    );
    expect(updated.map((s) => s.event)).toMatchObject([
      { type: "token.updated", data: { tokenId, name: "deploy", roles: ["read"], changes: ["name", "roles"] } },
    ]);
    expect(updated[0]?.stored?.name).toBe("deploy");

    const rotated = await during(async () => {
      const response = await call("POST", `/admin/tokens/${tokenId}/rotate`, { graceSeconds: 60 });
      secrets.push(response.json().token);
    });
    expect(rotated.map((s) => s.event)).toMatchObject([
      { type: "token.rotated", data: { tokenId, graceSeconds: 60, actor: adminActor } },
    ]);
    expect(tokenData(rotated[0]).times.previousSecretExpiresAt).toBeDefined();

    const revoked = await during(() => call("POST", `/admin/tokens/${tokenId}/revoke`));
    expect(revoked.map((s) => s.event)).toMatchObject([
      { type: "token.revoked", data: { tokenId, reason: "requested", isRevoked: true, actor: adminActor } },
    ]);
    expect(revoked[0]?.stored?.isRevoked).toBe(true);
    // Revoking again changes nothing: no second event.
    expect(await during(() => call("POST", `/admin/tokens/${tokenId}/revoke`))).toEqual([]);

    const restored = await during(() => call("POST", `/admin/tokens/${tokenId}/restore`));
    expect(restored.map((s) => s.event)).toMatchObject([
      { type: "token.restored", data: { tokenId, isRevoked: false } },
    ]);
    expect(restored[0]?.stored?.isRevoked).toBe(false);
    expect(await during(() => call("POST", `/admin/tokens/${tokenId}/restore`))).toEqual([]);
  });

  it("revoking an owner: token.revoked for each PAT (reason owner), then owner.revoked with the count", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { token, record } = await issuer.store.issue({ owner: "mallory" });
      secrets.push(token);
      ids.push(record.tokenId);
    }
    const events = (await during(() => call("POST", "/admin/owners/mallory/revoke"))).map((s) => s.event);
    expect(events.map((e) => e.type)).toEqual(["token.revoked", "token.revoked", "owner.revoked"]);
    expect(new Set(events.slice(0, 2).map((e) => (e.data as { tokenId: string }).tokenId))).toEqual(new Set(ids));
    expect(events[0]?.data).toMatchObject({ reason: "owner", actor: adminActor });
    expect(events[2]).toMatchObject({
      type: "owner.revoked",
      data: { owner: "mallory", revokedTokens: 2, actor: adminActor },
    });
  });
});

describe("lifecycle events of the token's holder and of leak reports", () => {
  it("self-rotation and RFC 7009 revocation name the holder", async () => {
    const { token, record } = await issuer.store.issue({ owner: "holly" });
    secrets.push(token);
    const rotated = await during(async () => {
      const response = await issuer.app.inject({
        method: "POST",
        url: "/tokens/self/rotate",
        headers: { authorization: `Bearer ${token}` },
        payload: {},
      });
      expect(response.statusCode).toBe(200);
      secrets.push(response.json().token);
    });
    expect(rotated.map((s) => s.event)).toMatchObject([
      {
        type: "token.rotated",
        data: { tokenId: record.tokenId, actor: `holder (${record.tokenId})`, graceSeconds: 0 },
      },
    ]);
    const current = secrets.at(-1) as string;
    const revoked = await during(() =>
      issuer.app.inject({ method: "POST", url: "/revoke", payload: { token: current } }),
    );
    expect(revoked.map((s) => s.event)).toMatchObject([
      { type: "token.revoked", data: { tokenId: record.tokenId, actor: `holder (${record.tokenId})` } },
    ]);
  });

  it("a reported leak: token.revoked (reason leaked), then token.leaked; reported again, token.leaked only", async () => {
    const { token, record } = await issuer.store.issue({ owner: "leaky" });
    secrets.push(token);
    const start = seen.length;
    const report = () => issuer.app.inject({ method: "POST", url: "/leaks/report", payload: { tokens: [token] } });
    expect((await report()).statusCode).toBe(202);
    await until(() => seen.slice(start).some((s) => s.event.type === "token.leaked"), { message: "token.leaked" });
    const first = seen.slice(start).map((s) => s.event);
    expect(first).toMatchObject([
      { type: "token.revoked", data: { tokenId: record.tokenId, reason: "leaked" } },
      { type: "token.leaked", data: { tokenId: record.tokenId, alreadyRevoked: false, isRevoked: true } },
    ]);
    const again = seen.length;
    expect((await report()).statusCode).toBe(202);
    await until(() => seen.slice(again).some((s) => s.event.type === "token.leaked"), {
      message: "second token.leaked",
    });
    expect(seen.slice(again).map((s) => s.event)).toMatchObject([
      { type: "token.leaked", data: { alreadyRevoked: true } },
    ]);
  });
});

describe("what an event never carries", () => {
  it("no PAT, no piece of a secret, no PHC, and only the documented fields", () => {
    expect(seen.length).toBeGreaterThan(10);
    for (const { event } of seen) {
      expect(TOKEN_EVENT_TYPES).toContain(event.type);
      expect(event.id).toMatch(/^msg_[A-Za-z0-9_-]{20,}$/);
      const text = JSON.stringify(event);
      expect(text).not.toMatch(/\$scrypt\$|secretPhc|previousSecretPhc|"rev"|ownerRev/);
      for (const pat of secrets) {
        expect(text).not.toContain(pat);
        expect(text).not.toContain(pat.split(".")[1]?.slice(0, 20));
      }
      if (event.type !== "owner.revoked" && event.type !== "jwt.denied") {
        expect(Object.keys(event.data.times).every((k) => k.endsWith("At"))).toBe(true);
      }
    }
    // Event ids are unique.
    expect(new Set(seen.map((s) => s.event.id)).size).toBe(seen.length);
  });
});

describe("a sink that fails", () => {
  it("never fails the change it reports", async () => {
    const broken = await testIssuer(
      {},
      {
        events: {
          emit: () => Promise.reject(new Error("sink down")),
        },
      },
    );
    const jwt = await broken.adminJwt();
    const response = await broken.app.inject({
      method: "POST",
      url: "/admin/tokens",
      headers: { authorization: `Bearer ${jwt}` },
      payload: { owner: "x" },
    });
    expect(response.statusCode).toBe(201);
    const tokenId = response.json().record.tokenId as string;
    const revoke = await broken.app.inject({
      method: "POST",
      url: `/admin/tokens/${tokenId}/revoke`,
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(revoke.statusCode).toBe(200);
    expect((await broken.store.get(tokenId))?.isRevoked).toBe(true);
  });
});
