import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { newTokenId } from "@patgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { TokenStoreError } from "../../src/tokens/index.js";
import type { ListOptions, TokenRecord, TokenStore } from "../../src/tokens/types.js";
import { freshStore } from "./store-fixture.js";

let store: TokenStore;
const issued: TokenRecord[] = [];
const nowS = () => Math.floor(Date.now() / 1000);

async function all(options: ListOptions): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...options, ...(cursor ? { cursor } : {}) });
    pages.push(page.items.length);
    ids.push(...page.items.map((r) => r.tokenId));
    cursor = page.nextCursor;
  } while (cursor);
  return { ids, pages };
}

beforeAll(async () => {
  const fresh = await freshStore();
  store = fresh.store;
  for (let i = 0; i < 45; i++) {
    const owner = i % 3 === 0 ? "alice" : `user${i}`;
    const roles = i % 2 === 0 ? ["even"] : ["odd"];
    issued.push((await store.issue({ owner, roles })).record);
  }
  for (const record of issued.slice(0, 10)) await store.revoke(record.tokenId);
  // A corrupt item must not break listing.
  await DynamoDBDocumentClient.from(fresh.client).send(
    new PutCommand({
      TableName: fresh.tableName,
      Item: { tokenId: newTokenId(), owner: "corrupt", roles: "not-a-set" },
    }),
  );
});

describe("list", () => {
  it("pages through every token exactly once", async () => {
    const { ids, pages } = await all({ limit: 7 });
    expect(ids).toHaveLength(45);
    expect(new Set(ids)).toEqual(new Set(issued.map((r) => r.tokenId)));
    expect(pages.slice(0, -1).every((n) => n === 7)).toBe(true);
  });

  it("lists one owner through owner-index", async () => {
    const { ids, pages } = await all({ owner: "alice", limit: 4 });
    const expected = issued.filter((r) => r.owner === "alice").map((r) => r.tokenId);
    expect(new Set(ids)).toEqual(new Set(expected));
    expect(ids).toHaveLength(expected.length);
    expect(pages.slice(0, -1).every((n) => n === 4)).toBe(true);
  });

  it("filters by role and by state without short pages", async () => {
    const even = await all({ hasRole: "even", limit: 5 });
    expect(new Set(even.ids)).toEqual(new Set(issued.filter((r) => r.roles.includes("even")).map((r) => r.tokenId)));
    expect(even.pages.slice(0, -1).every((n) => n === 5)).toBe(true);

    const active = await all({ includeRevoked: false, limit: 6 });
    expect(active.ids).toHaveLength(35);
    expect(active.pages.slice(0, -1).every((n) => n === 6)).toBe(true);

    const aliceActiveOdd = await all({ owner: "alice", hasRole: "odd", includeRevoked: false, limit: 2 });
    const expected = issued.slice(10).filter((r) => r.owner === "alice" && r.roles.includes("odd"));
    expect(new Set(aliceActiveOdd.ids)).toEqual(new Set(expected.map((r) => r.tokenId)));
  });

  it("excludes expired tokens on request", async () => {
    let clock = Date.now();
    const { store: timed } = await freshStore({ now: () => clock });
    await timed.issue({ owner: "t", expiresAt: nowS() + 30 });
    const lasting = (await timed.issue({ owner: "t" })).record;
    clock += 60_000;
    expect((await timed.list({ includeExpired: false })).items.map((r) => r.tokenId)).toEqual([lasting.tokenId]);
    expect((await timed.list()).items).toHaveLength(2);
  });

  it("gives no cursor on the last page", async () => {
    const page = await store.list({ limit: 100 });
    expect(page.items).toHaveLength(45);
    expect(page.nextCursor).toBeUndefined();
  });

  it.each([
    [{ cursor: "garbage!" }, "cursor"],
    [{ cursor: Buffer.from('["short"]').toString("base64url") }, "cursor"],
    [{ limit: 0 }, "limit"],
    [{ limit: 101 }, "limit"],
    [{ limit: 1.5 }, "limit"],
    [{ owner: "" }, "owner"],
    [{ hasRole: "two words" }, "hasRole"],
    [{ includeRevoked: "no" }, "includeRevoked"],
    [{ sort: "asc" }, "sort"],
  ])("rejects %j naming %s", async (options, field) => {
    const error = await store.list(options as ListOptions).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({ code: "validation_error", field });
  });

  it("rejects a cursor from another listing", async () => {
    const page = await store.list({ owner: "alice", limit: 1 });
    expect(page.nextCursor).toBeDefined();
    await expect(store.list({ cursor: page.nextCursor as string })).rejects.toMatchObject({ field: "cursor" });
  });
});

describe("batchLoad", () => {
  it("loads more than one BatchGet's worth, deduplicated, and reports what is missing", async () => {
    const missing = Array.from({ length: 70 }, () => newTokenId());
    const ids = [...issued.map((r) => r.tokenId), ...missing, issued[0]?.tokenId ?? "", "not-an-id"];
    const { found, notFound } = await store.batchLoad(ids);
    expect(new Set(found.map((r) => r.tokenId))).toEqual(new Set(issued.map((r) => r.tokenId)));
    expect(found).toHaveLength(45);
    expect(new Set(notFound)).toEqual(new Set([...missing, "not-an-id"]));
    expect(found.every((r) => !("secretPhc" in r))).toBe(true);
  });
});
