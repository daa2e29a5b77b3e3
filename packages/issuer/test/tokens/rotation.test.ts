import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { testIssuer } from "../app-fixture.js";
import { freshStore } from "./store-fixture.js";

const T0 = 1_900_000_000_000;

describe("rotating a PAT", () => {
  it("gives a new secret for the same id; the old one works for exactly the grace period", async () => {
    let clock = T0;
    const { store } = await freshStore({ now: () => clock });
    const { token: old, record } = await store.issue({ owner: "rota", roles: ["read"] });
    const rotated = await store.rotate(record.tokenId, { graceSeconds: 3600 });
    expect(rotated.token).not.toBe(old);
    expect(rotated.token.startsWith(`pat_${record.tokenId}.`)).toBe(true);
    expect(rotated.record).toMatchObject({ previousSecretExpiresAt: T0 / 1000 + 3600, revision: record.revision + 1 });
    expect(await store.verify(rotated.token)).toMatchObject({ ok: true });
    clock = T0 + 3599_000;
    expect(await store.verify(old)).toMatchObject({ ok: true, secretValidUntil: T0 / 1000 + 3600 });
    clock = T0 + 3601_000;
    expect(await store.verify(old)).toMatchObject({ ok: false, reason: "invalid_secret" });
    expect(await store.verify(rotated.token)).toMatchObject({ ok: true });
  });

  it("with no grace, refuses the old secret at once; rotating during a grace period ends the older secret", async () => {
    const clock = T0;
    const { store } = await freshStore({ now: () => clock });
    const { token: first, record } = await store.issue({ owner: "rota2" });
    const second = await store.rotate(record.tokenId, { graceSeconds: 600 });
    const third = await store.rotate(record.tokenId, { graceSeconds: 600 });
    expect(await store.verify(first)).toMatchObject({ ok: false, reason: "invalid_secret" });
    expect(await store.verify(second.token)).toMatchObject({ ok: true });
    const fourth = await store.rotate(record.tokenId, { graceSeconds: 0 });
    expect(await store.verify(third.token)).toMatchObject({ ok: false, reason: "invalid_secret" });
    expect(await store.verify(fourth.token)).toMatchObject({ ok: true });
    expect(fourth.record.previousSecretExpiresAt).toBeUndefined();
  });

  it.each([-1, 604_801, 1.5, "1h", null])(
    "refuses a grace of %s with a validation error naming the field",
    async (grace) => {
      const { store } = await freshStore();
      const { record } = await store.issue({ owner: "rota3" });
      await expect(store.rotate(record.tokenId, { graceSeconds: grace as number })).rejects.toMatchObject({
        code: "validation_error",
        field: "graceSeconds",
      });
    },
  );
});

describe("rotation through the issuer", () => {
  it("the admin endpoint shows the new token once; JWTs minted before live on; the cache forgets the old secret", async () => {
    const issuer = await testIssuer();
    const { token: old, record } = await issuer.store.issue({ owner: "svc", roles: ["read"] });
    const before = await issuer.exchange(old); // also fills the PAT cache
    const admin = await issuer.adminJwt();
    const answer = await issuer.app.inject({
      method: "POST",
      url: `/admin/tokens/${record.tokenId}/rotate`,
      headers: { authorization: `Bearer ${admin}` },
      payload: {},
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers["cache-control"]).toBe("no-store");
    const { token } = answer.json();
    expect(decodeJwt(await issuer.exchange(token)).client_id).toBe(record.tokenId);
    // No grace: the old secret stops at once, cached or not.
    const oldAgain = await issuer.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${old}` },
    });
    expect(oldAgain.statusCode).toBe(400);
    // A JWT minted before the rotation is not revoked by it.
    const introspected = await issuer.app.inject({
      method: "POST",
      url: "/introspect",
      headers: { authorization: `Bearer ${admin}` },
      payload: { token: before },
    });
    expect(introspected.json().active).toBe(true);
    const bad = await issuer.app.inject({
      method: "POST",
      url: `/admin/tokens/${record.tokenId}/rotate`,
      headers: { authorization: `Bearer ${admin}` },
      payload: { graceSeconds: 8 * 86_400 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: "invalid_request", field: "graceSeconds" });
  });

  it("never serves the old secret from the PAT cache past the end of its grace", async () => {
    let clock = T0;
    const issuer = await testIssuer({}, { now: () => clock, storeNow: () => clock });
    const { token: old, record } = await issuer.store.issue({ owner: "graceful", roles: ["read"] });
    await issuer.revocation.changes.rotateToken(record.tokenId, 10);
    await issuer.exchange(old); // in grace: accepted, and cached until the grace ends at most
    clock = T0 + 9_000;
    await issuer.exchange(old);
    clock = T0 + 11_000;
    const late = await issuer.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${old}` },
    });
    expect(late.statusCode).toBe(400);
  });

  it("lets the holder rotate with the PAT itself, and only with the current secret", async () => {
    const issuer = await testIssuer();
    const { token: old } = await issuer.store.issue({ owner: "self", roles: ["read"] });
    const rotate = (pat: string, graceSeconds?: number) =>
      issuer.app.inject({
        method: "POST",
        url: "/tokens/self/rotate",
        headers: { authorization: `Bearer ${pat}` },
        payload: graceSeconds === undefined ? {} : { graceSeconds },
      });
    const first = await rotate(old, 600);
    expect(first.statusCode).toBe(200);
    const current = first.json().token as string;
    expect(await issuer.exchange(current)).toBeTruthy();
    expect(await issuer.exchange(old)).toBeTruthy(); // in grace
    expect((await rotate(old)).statusCode).toBe(401); // a secret in grace cannot rotate
    expect((await rotate("pat_garbage")).statusCode).toBe(401);
    expect((await rotate(current, 0)).statusCode).toBe(200);
    const refused = await issuer.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${current}` },
    });
    expect(refused.statusCode).toBe(400);
  });
});
