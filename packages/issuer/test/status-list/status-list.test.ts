import { afterEach, describe, expect, it } from "vitest";
import { expectError, type TestIssuer } from "../app-fixture.js";
import { statusFromList, statusIssuer, statusOf } from "./status-fixture.js";

const apps: TestIssuer[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((issuer) => issuer.app.close()));
});

async function issuer(...args: Parameters<typeof statusIssuer>) {
  const made = await statusIssuer(...args);
  apps.push(made);
  return made;
}

describe("Token Status List: the issuer", () => {
  it("puts a status claim in every JWT, and a list any implementation of the draft decodes says VALID", async () => {
    const gate = await issuer();
    const { token } = await gate.store.issue({ owner: "alice", roles: ["reader"] });
    const jwt = await gate.exchange(token);
    const status = statusOf(jwt);
    expect(status.uri).toBe("https://issuer.test/statuslists/0");
    expect(await statusFromList(gate, jwt)).toBe(0);
    // The same revision, the same index.
    expect(statusOf(await gate.exchange(token)).idx).toBe(status.idx);
  });

  it("a revocation sets the old index INVALID; after a restore JWTs carry a fresh VALID index", async () => {
    const gate = await issuer();
    const { token, record } = await gate.store.issue({ owner: "alice", roles: ["reader"] });
    const other = await gate.exchange((await gate.store.issue({ owner: "bob" })).token);
    const jwt = await gate.exchange(token);
    await gate.revocation.changes.revokeToken(record.tokenId);
    expect(await statusFromList(gate, jwt)).toBe(1);
    expect(await statusFromList(gate, other)).toBe(0);
    await gate.revocation.changes.restoreToken(record.tokenId);
    const fresh = await gate.exchange(token);
    expect(statusOf(fresh).idx).not.toBe(statusOf(jwt).idx);
    expect(await statusFromList(gate, fresh)).toBe(0);
    expect(await statusFromList(gate, jwt)).toBe(1);
  });

  it("a role removal, an expiry brought forward and a key rebinding deny earlier JWTs; a rename and a jti denial do not", async () => {
    const gate = await issuer();
    const { token, record } = await gate.store.issue({ owner: "alice", roles: ["reader", "writer"] });
    const first = await gate.exchange(token);
    await gate.revocation.changes.updateToken(record.tokenId, { name: "renamed" });
    await gate.revocation.changes.denyJti("some-jti", Math.floor(Date.now() / 1000) + 60);
    expect(await statusFromList(gate, first)).toBe(0);
    await gate.revocation.changes.updateToken(record.tokenId, { roles: { remove: ["writer"] } });
    expect(await statusFromList(gate, first)).toBe(1);
    const second = await gate.exchange(token);
    expect(await statusFromList(gate, second)).toBe(0);
    await gate.revocation.changes.updateToken(record.tokenId, { expiresAt: Math.floor(Date.now() / 1000) + 3600 });
    expect(await statusFromList(gate, second)).toBe(1);
    const third = await gate.exchange(token);
    await gate.revocation.changes.updateToken(record.tokenId, { dpopJkt: "A".repeat(43) });
    expect(await statusFromList(gate, third)).toBe(1);
  });

  it("an owner revocation sets every index of the owner INVALID", async () => {
    const gate = await issuer();
    const a = await gate.exchange((await gate.store.issue({ owner: "carol" })).token);
    const b = await gate.exchange((await gate.store.issue({ owner: "carol" })).token);
    const c = await gate.exchange((await gate.store.issue({ owner: "dave" })).token);
    await gate.revocation.changes.revokeOwner("carol");
    expect([await statusFromList(gate, a), await statusFromList(gate, b), await statusFromList(gate, c)]).toEqual([
      1, 1, 0,
    ]);
  });

  it("a PAT stored before the status list gets an index at its first exchange, the same one after", async () => {
    const gate = await issuer();
    const { client, tableName } = gate.tables;
    const { createTokenStore } = await import("../../src/tokens/index.js");
    const plain = createTokenStore(client, { tableName, scrypt: { ln: 4, r: 8, p: 1 } });
    const { token, record } = await plain.issue({ owner: "erin" });
    expect(record.statusIdx).toBeUndefined();
    const jwt = await gate.exchange(token);
    expect(statusOf(await gate.exchange(token)).idx).toBe(statusOf(jwt).idx);
    expect((await gate.store.get(record.tokenId))?.statusIdx).toBe(statusOf(jwt).idx);
    await gate.revocation.changes.revokeToken(record.tokenId);
    expect(await statusFromList(gate, jwt)).toBe(1);
  });

  it("two issuers over the same table serve the same bits", async () => {
    const one = await issuer();
    const two = await issuer(one.tables);
    const { token, record } = await one.store.issue({ owner: "frank" });
    const jwt = await one.exchange(token);
    expect(statusOf(await two.exchange(token))).toEqual(statusOf(jwt));
    expect(await statusFromList(two, jwt)).toBe(0);
    await two.revocation.changes.revokeToken(record.tokenId);
    expect(await statusFromList(one, jwt)).toBe(1);
    expect(await statusFromList(two, jwt)).toBe(1);
  });
});

describe("GET /statuslists/{n}", () => {
  it("serves application/statuslist+jwt with Cache-Control from the ttl and an ETag; If-None-Match gets a 304", async () => {
    const gate = await issuer(undefined, { ttl: 7 });
    await gate.exchange((await gate.store.issue({ owner: "gus" })).token);
    const response = await gate.app.inject({ url: "/statuslists/0" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/statuslist\+jwt/);
    expect(response.headers["cache-control"]).toBe("public, max-age=7");
    const etag = String(response.headers.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await gate.app.inject({ url: "/statuslists/0", headers: { "if-none-match": etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    const other = await gate.app.inject({ url: "/statuslists/0", headers: { "if-none-match": '"other"' } });
    expect(other.statusCode).toBe(200);
  });

  it("a path that is not a list number is a 404 (not a number, signed, leading zero, fraction, huge, NUL)", async () => {
    const gate = await issuer();
    await gate.store.issue({ owner: "ivy" });
    for (const n of ["abc", "-1", "01", "1.5", "99999999", "9".repeat(200), "%00", "1e3", "0x1", " 0"]) {
      const response = await gate.app.inject({ url: `/statuslists/${encodeURI(n)}` });
      expectError(response, 404, "not_found");
    }
  });

  it("a list never handed out is a 404, and so is every list before any PAT exists", async () => {
    const gate = await issuer();
    expectError(await gate.app.inject({ url: "/statuslists/0" }), 404, "not_found");
    await gate.store.issue({ owner: "hal" });
    expect((await gate.app.inject({ url: "/statuslists/0" })).statusCode).toBe(200);
    expectError(await gate.app.inject({ url: "/statuslists/1" }), 404, "not_found");
    expectError(await gate.app.inject({ url: "/statuslists/999999" }), 404, "not_found");
  });
});
