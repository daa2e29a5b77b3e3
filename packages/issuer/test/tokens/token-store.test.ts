import { randomBytes, scryptSync } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { newTokenId, verifySecret } from "@patgate/shared";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createTokenStore, StoreUnavailableError, TokenStoreError } from "../../src/tokens/index.js";
import type { TokenStore } from "../../src/tokens/types.js";
import { freshStore } from "./store-fixture.js";

const nowS = () => Math.floor(Date.now() / 1000);
const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

let store: TokenStore;
let doc: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  const fresh = await freshStore();
  store = fresh.store;
  tableName = fresh.tableName;
  doc = DynamoDBDocumentClient.from(fresh.client);
});

async function rawItem(tokenId: string) {
  return (await doc.send(new GetCommand({ TableName: tableName, Key: { tokenId } }))).Item;
}

async function expectStoreError(promise: Promise<unknown>, code: string, field?: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenStoreError);
  expect((error as TokenStoreError).code).toBe(code);
  if (field !== undefined) expect((error as TokenStoreError).field).toBe(field);
}

describe("issue / get / verify", () => {
  it("issues a token that verifies, and stores only its PHC", async () => {
    const expiresAt = nowS() + 3600;
    const { token, record } = await store.issue({
      owner: "alice",
      roles: ["write", "read", "read"],
      name: "ci",
      expiresAt,
    });
    expect(token.startsWith(`pat_${record.tokenId}.`)).toBe(true);
    expect(record).toMatchObject({
      owner: "alice",
      roles: ["read", "write"],
      isAdmin: false,
      isRevoked: false,
      name: "ci",
      expiresAt,
    });
    const verified = await store.verify(token);
    expect(verified).toEqual({ ok: true, record });
    const item = await rawItem(record.tokenId);
    expect(item?.secretPhc).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$/);
    expect(JSON.stringify(item)).not.toContain(token.split(".")[1]?.slice(0, 20));
    expect(item?.roles).toEqual(new Set(["read", "write"]));
    expect(await store.get(record.tokenId)).toEqual(record);
    expect(record).not.toHaveProperty("secretPhc");
  });

  it("returns null for an unknown id and refuses a duplicate id", async () => {
    expect(await store.get(newTokenId())).toBeNull();
    const tokenId = newTokenId();
    await store.issue({ owner: "bob", tokenId });
    await expectStoreError(store.issue({ owner: "bob", tokenId }), "conflict", "tokenId");
  });

  it("does not write on verify", async () => {
    const { token, record } = await store.issue({ owner: "carol" });
    await store.verify(token);
    expect((await rawItem(record.tokenId))?.lastUsedAt).toBeUndefined();
  });
});

describe("verify reasons", () => {
  it("invalid_prefix and invalid_format are decided offline", async () => {
    expect(await store.verify("ghp_abc")).toEqual({ ok: false, reason: "invalid_prefix" });
    expect(await store.verify("pat_abc.def")).toEqual({ ok: false, reason: "invalid_format" });
    const { token } = await store.issue({ owner: "dave" });
    const typo = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect(await store.verify(typo)).toEqual({ ok: false, reason: "invalid_format" });
  });

  it("not_found runs a dummy scrypt so a missing id costs what a wrong secret costs", async () => {
    const spy = vi.fn(verifySecret);
    const { store: spied } = await freshStore({}, { verifySecret: spy });
    const { token, record } = await spied.issue({ owner: "erin" });
    const missing = token.replace(record.tokenId, newTokenId());
    // The checksum covers the id, so rebuild a checksum-free legacy form of the missing token.
    const legacy = `pat_${newTokenId()}.${randomBytes(32).toString("base64url")}`;
    expect(await spied.verify(legacy)).toEqual({ ok: false, reason: "not_found" });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]?.[1]).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$/);
    expect(await spied.verify(missing)).toMatchObject({ ok: false });
  });

  it("runs every secret check, the dummy one for a missing id included, through its verifySecret option", async () => {
    const budgeted = vi.fn(verifySecret);
    const { store: spied } = await freshStore({ verifySecret: budgeted });
    const { token } = await spied.issue({ owner: "gina" });
    expect(await spied.verify(token)).toMatchObject({ ok: true });
    const missing = `pat_${newTokenId()}.${randomBytes(32).toString("base64url")}`;
    expect(await spied.verify(missing)).toEqual({ ok: false, reason: "not_found" });
    expect(budgeted).toHaveBeenCalledTimes(2);
    // The dummy has the store's parameters and is not the hash of any real secret.
    expect(budgeted.mock.calls[1]?.[1]).toMatch(/^\$scrypt\$ln=4,r=8,p=1\$/);
    expect(budgeted.mock.calls[1]?.[1]).not.toBe(budgeted.mock.calls[0]?.[1]);
  });

  it("invalid_secret for a wrong secret", async () => {
    const { record } = await store.issue({ owner: "frank" });
    const wrong = `pat_${record.tokenId}.${randomBytes(32).toString("base64url")}`;
    expect(await store.verify(wrong)).toEqual({ ok: false, reason: "invalid_secret" });
  });

  it.each([
    ["invalid_phc", "not a phc"],
    ["unsupported_algorithm", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"],
    ["invalid_parameters", `$scrypt$ln=40,r=8,p=1$${b64(randomBytes(16))}$${b64(randomBytes(32))}`],
  ])("%s from the stored PHC", async (reason, secretPhc) => {
    const tokenId = newTokenId();
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { tokenId, owner: "gina", isAdmin: false, createdAt: nowS(), secretPhc },
      }),
    );
    const token = `pat_${tokenId}.${randomBytes(32).toString("base64url")}`;
    expect(await store.verify(token)).toEqual({ ok: false, reason });
  });

  it("checks the secret before revoked and expired, and tells those only to the holder", async () => {
    const { token, record } = await store.issue({ owner: "hank" });
    await store.revoke(record.tokenId);
    const wrong = `pat_${record.tokenId}.${randomBytes(32).toString("base64url")}`;
    expect(await store.verify(wrong)).toEqual({ ok: false, reason: "invalid_secret" });
    expect(await store.verify(token)).toMatchObject({
      ok: false,
      reason: "revoked",
      record: { tokenId: record.tokenId },
    });
  });

  it("expired once expiresAt has passed", async () => {
    let clock = Date.now();
    const { store: timed } = await freshStore({ now: () => clock });
    const { token, record } = await timed.issue({ owner: "ivy", expiresAt: Math.floor(clock / 1000) + 60 });
    expect((await timed.verify(token)).ok).toBe(true);
    clock += 61_000;
    expect(await timed.verify(token)).toEqual({ ok: false, reason: "expired", record });
    const wrong = `pat_${record.tokenId}.${randomBytes(32).toString("base64url")}`;
    expect(await timed.verify(wrong)).toEqual({ ok: false, reason: "invalid_secret" });
  });

  it("verifies a token and PHC made in @access-tokens/core's format", async () => {
    const tokenId = newTokenId();
    const secret = randomBytes(32);
    const salt = randomBytes(16);
    const hash = scryptSync(secret, salt, 32, { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const secretPhc = `$scrypt$ln=14,r=8,p=1$${b64(salt)}$${b64(hash)}`;
    await store.register({ tokenId, secretPhc, owner: "legacy", roles: ["read"] });
    const token = `pat_${tokenId}.${secret.toString("base64")}`;
    expect(token).toMatch(/=$/);
    expect(await store.verify(token)).toMatchObject({
      ok: true,
      record: { tokenId, owner: "legacy", roles: ["read"] },
    });
  });

  it("treats an @access-tokens/core record with only revokedAt as revoked", async () => {
    const { token, tokenId, secretPhc } = await store.generate();
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { tokenId, owner: "old", isAdmin: false, createdAt: nowS(), revokedAt: nowS(), secretPhc },
      }),
    );
    expect(await store.verify(token)).toMatchObject({ ok: false, reason: "revoked" });
  });
});

describe("generate / register", () => {
  it("generate stores nothing; register stores what generate made", async () => {
    const { token, tokenId, secretPhc } = await store.generate();
    expect(await store.get(tokenId)).toBeNull();
    expect(await store.verify(token)).toMatchObject({ ok: false, reason: "not_found" });
    const record = await store.register({ tokenId, secretPhc, owner: "jack", isAdmin: true });
    expect(record).toMatchObject({ tokenId, owner: "jack", isAdmin: true });
    expect(await store.verify(token)).toMatchObject({ ok: true });
  });

  it("generate honours a chosen id", async () => {
    const tokenId = newTokenId();
    expect((await store.generate({ tokenId })).tokenId).toBe(tokenId);
  });

  it("register refuses an unusable PHC", async () => {
    await expectStoreError(
      store.register({ tokenId: newTokenId(), secretPhc: "$md5$x", owner: "k" }),
      "validation_error",
      "secretPhc",
    );
  });
});

describe("update", () => {
  it("changes owner, admin flag, name and expiry, and removes them", async () => {
    const { record } = await store.issue({ owner: "lee", name: "old", expiresAt: nowS() + 100 });
    const expiresAt = nowS() + 5000;
    const changed = await store.update(record.tokenId, { owner: "lena", isAdmin: true, name: "new", expiresAt });
    expect(changed).toMatchObject({ owner: "lena", isAdmin: true, name: "new", expiresAt });
    const cleared = await store.update(record.tokenId, { name: "", expiresAt: null });
    expect(cleared.name).toBeUndefined();
    expect(cleared.expiresAt).toBeUndefined();
    expect(await store.get(record.tokenId)).toEqual(cleared);
  });

  it("replaces, adds and removes roles", async () => {
    const { record } = await store.issue({ owner: "mia", roles: ["a"] });
    expect((await store.update(record.tokenId, { roles: ["b", "c"] })).roles).toEqual(["b", "c"]);
    expect((await store.update(record.tokenId, { roles: { add: ["d", "b"] } })).roles).toEqual(["b", "c", "d"]);
    expect((await store.update(record.tokenId, { roles: { remove: ["b", "zz"] } })).roles).toEqual(["c", "d"]);
    expect((await store.update(record.tokenId, { roles: [] })).roles).toEqual([]);
    expect((await store.update(record.tokenId, { roles: { add: ["x"] } })).roles).toEqual(["x"]);
  });

  it("loses nothing under concurrent role adds and removes", async () => {
    const initial = Array.from({ length: 10 }, (_, i) => `old${i}`);
    const { record } = await store.issue({ owner: "ned", roles: initial });
    const added = Array.from({ length: 20 }, (_, i) => `new${i}`);
    await Promise.all([
      ...added.map((role) => store.update(record.tokenId, { roles: { add: [role] } })),
      ...initial.slice(0, 5).map((role) => store.update(record.tokenId, { roles: { remove: [role] } })),
    ]);
    const final = await store.get(record.tokenId);
    expect(final?.roles).toEqual([...initial.slice(5), ...added].sort());
  });

  it("keeps a token within 50 roles, even when adding roles it already has", async () => {
    const roles = Array.from({ length: 49 }, (_, i) => `r${i}`);
    const { record } = await store.issue({ owner: "olga", roles });
    // Near the limit: r0 is already there, so the union is exactly 50.
    expect((await store.update(record.tokenId, { roles: { add: ["r0", "extra"] } })).roles).toHaveLength(50);
    await expectStoreError(
      store.update(record.tokenId, { roles: { add: ["one-too-many"] } }),
      "validation_error",
      "roles.add",
    );
    expect((await store.get(record.tokenId))?.roles).toHaveLength(50);
  });

  it("fails with not_found for a missing token and never creates it", async () => {
    const tokenId = newTokenId();
    await expectStoreError(store.update(tokenId, { name: "x" }), "not_found");
    await expectStoreError(store.update(tokenId, { roles: { add: ["x"] } }), "not_found");
    expect(await rawItem(tokenId)).toBeUndefined();
  });
});

describe("revoke / restore", () => {
  it("revokes keeping the expiry, idempotently, and restores keeping it too", async () => {
    const expiresAt = nowS() + 999;
    const { token, record } = await store.issue({ owner: "pam", expiresAt });
    const first = await store.revoke(record.tokenId);
    expect(first.changed).toBe(true);
    expect(first.record).toMatchObject({ isRevoked: true, expiresAt });
    expect(first.record.revokedAt).toBeGreaterThan(0);
    const again = await store.revoke(record.tokenId);
    expect(again).toEqual({ changed: false, record: first.record });
    const restored = await store.restore(record.tokenId);
    expect(restored.changed).toBe(true);
    expect(restored.record).toMatchObject({ isRevoked: false, expiresAt });
    expect(restored.record.revokedAt).toBeUndefined();
    expect((await store.restore(record.tokenId)).changed).toBe(false);
    expect((await store.verify(token)).ok).toBe(true);
  });

  it("fails with not_found for a missing token", async () => {
    await expectStoreError(store.revoke(newTokenId()), "not_found");
    await expectStoreError(store.restore(newTokenId()), "not_found");
  });
});

describe("touch", () => {
  it("writes at most once a minute per address and never recreates a deleted token", async () => {
    const { record } = await store.issue({ owner: "quinn" });
    const at = nowS();
    await store.touch(record.tokenId, { at, ip: "10.0.0.1" });
    await store.touch(record.tokenId, { at: at + 30, ip: "10.0.0.1" });
    expect(await store.get(record.tokenId)).toMatchObject({ lastUsedAt: at, lastUsedIp: "10.0.0.1" });
    // A new address is recorded at once.
    await store.touch(record.tokenId, { at: at + 31, ip: "10.0.0.2", recentIps: ["10.0.0.2", "10.0.0.1"] });
    expect(await store.get(record.tokenId)).toMatchObject({ lastUsedAt: at + 31, recentIps: ["10.0.0.2", "10.0.0.1"] });
    await store.touch(record.tokenId, { at: at + 40, ip: "10.0.0.2" });
    expect(await store.get(record.tokenId)).toMatchObject({ lastUsedAt: at + 31 });
    await store.touch(record.tokenId, { at: at + 61, ip: "10.0.0.3" });
    expect(await store.get(record.tokenId)).toMatchObject({ lastUsedAt: at + 61, lastUsedIp: "10.0.0.3" });
    const ghost = newTokenId();
    await store.touch(ghost, { at });
    expect(await rawItem(ghost)).toBeUndefined();
  });
});

describe("an unreachable store", () => {
  it("throws StoreUnavailableError, not a crash", async () => {
    const client = new DynamoDBClient({
      endpoint: "http://127.0.0.1:1",
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    const down = createTokenStore(client, { tableName: "nowhere", scrypt: { ln: 4, r: 8, p: 1 } });
    const { token } = await store.issue({ owner: "rita" });
    await expect(down.verify(token)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(down.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(down.list()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(down.issue({ owner: "x" })).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("answers ping when up", async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe("revisions", () => {
  it("every change bumps the record's revision; a touch does not", async () => {
    const { record } = await store.issue({ owner: "rev", roles: ["a"] });
    expect(record.revision).toBe(1);
    const updated = await store.update(record.tokenId, { roles: { add: ["b"] } });
    expect(updated.revision).toBe(2);
    await store.touch(record.tokenId, { at: nowS(), ip: "10.9.9.9" });
    expect((await store.get(record.tokenId))?.revision).toBe(2);
    expect((await store.revoke(record.tokenId)).record.revision).toBe(3);
    expect((await store.revoke(record.tokenId)).changed).toBe(false);
    expect((await store.restore(record.tokenId)).record.revision).toBe(4);
  });

  it("a write computed from an older revision is refused as a conflict", async () => {
    const { record } = await store.issue({ owner: "rev2" });
    await store.update(record.tokenId, { name: "moved on" });
    await expect(store.revoke(record.tokenId, { expectedRevision: record.revision })).rejects.toMatchObject({
      code: "conflict",
    });
  });

  it("an owner's revocation kills the PATs it had, not later ones; a restore brings one back alone", async () => {
    const owner = `owned-${nowS()}`;
    const before = await store.issue({ owner });
    const other = await store.issue({ owner });
    const revision = await store.owners.get(owner);
    expect(await store.owners.advance(owner, revision, Date.now())).toBe(true);
    expect(await store.owners.advance(owner, revision, Date.now())).toBe(false); // someone got there first
    expect(await store.verify(before.token)).toMatchObject({ ok: false, reason: "revoked" });
    const after = await store.issue({ owner });
    expect(after.record.ownerRevision).toBe(revision + 1);
    expect(await store.verify(after.token)).toMatchObject({ ok: true });
    const restored = await store.restore(before.record.tokenId);
    expect(restored).toMatchObject({ changed: true, record: { ownerRevision: revision + 1 } });
    expect(await store.verify(before.token)).toMatchObject({ ok: true });
    expect(await store.verify(other.token)).toMatchObject({ ok: false, reason: "revoked" });
  });
});
