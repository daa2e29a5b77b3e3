import { newTokenId } from "@patgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { TokenStoreError } from "../../src/tokens/index.js";
import type { TokenStore } from "../../src/tokens/types.js";
import { freshStore } from "./store-fixture.js";

let store: TokenStore;
let existing: string;
const future = () => Math.floor(Date.now() / 1000) + 3600;

beforeAll(async () => {
  store = (await freshStore()).store;
  existing = (await store.issue({ owner: "valid" })).record.tokenId;
});

async function expectInvalid(call: () => Promise<unknown>, field: string) {
  const error = await call().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected a validation error on ${field}`).toBeInstanceOf(TokenStoreError);
  expect(error).toMatchObject({ code: "validation_error", field });
}

const badIssues: [string, unknown, string][] = [
  ["no owner", {}, "owner"],
  ["empty owner", { owner: "" }, "owner"],
  ["numeric owner", { owner: 42 }, "owner"],
  ["owner with NUL", { owner: "a\u0000b" }, "owner"],
  ["huge owner", { owner: "x".repeat(300) }, "owner"],
  ["roles not array", { owner: "o", roles: "admin" }, "roles"],
  ["roles object", { owner: "o", roles: { add: ["x"] } }, "roles"],
  ["role not string", { owner: "o", roles: [1] }, "roles"],
  ["empty role", { owner: "o", roles: [""] }, "roles"],
  ["role too long", { owner: "o", roles: ["r".repeat(101)] }, "roles"],
  ["role with space", { owner: "o", roles: ["a b"] }, "roles"],
  ["51 roles", { owner: "o", roles: Array.from({ length: 51 }, (_, i) => `r${i}`) }, "roles"],
  ["isAdmin string", { owner: "o", isAdmin: "yes" }, "isAdmin"],
  ["expiry in past", { owner: "o", expiresAt: 1000 }, "expiresAt"],
  ["expiry string", { owner: "o", expiresAt: "tomorrow" }, "expiresAt"],
  ["expiry fraction", { owner: "o", expiresAt: future() + 0.5 }, "expiresAt"],
  ["name number", { owner: "o", name: 5 }, "name"],
  ["name too long", { owner: "o", name: "n".repeat(101) }, "name"],
  ["bad token id", { owner: "o", tokenId: "short" }, "tokenId"],
  ["unknown field", { owner: "o", colour: "red" }, "colour"],
  ["secretPhc on issue", { owner: "o", secretPhc: "$scrypt$" }, "secretPhc"],
];

describe("bad input gives a typed error naming the field", () => {
  it("accepts exactly 50 roles of 100 characters", async () => {
    const roles = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(100, "r"));
    expect((await store.issue({ owner: "o", roles })).record.roles).toHaveLength(50);
  });

  it.each(badIssues)("issue: %s", async (_label, input, field) => {
    await expectInvalid(() => store.issue(input as never), field);
  });

  it("issue: not an object", async () => {
    await expectInvalid(() => store.issue(null as never), "input");
    await expectInvalid(() => store.issue("alice" as never), "input");
  });

  it.each(badIssues.filter(([label]) => label !== "secretPhc on issue" && label !== "bad token id"))(
    "register: %s",
    async (_label, input, field) => {
      const { tokenId, secretPhc } = await store.generate();
      await expectInvalid(() => store.register({ tokenId, secretPhc, ...(input as object) } as never), field);
    },
  );

  it("register: bad id or PHC", async () => {
    const { secretPhc } = await store.generate();
    await expectInvalid(() => store.register({ tokenId: "nope", secretPhc, owner: "o" }), "tokenId");
    await expectInvalid(
      () => store.register({ tokenId: newTokenId(), secretPhc: 7 as never, owner: "o" }),
      "secretPhc",
    );
  });

  it.each([
    ["nothing", {}, "changes"],
    ["not an object", "x", "changes"],
    ["unknown field", { colour: "red" }, "colour"],
    ["tokenId", { tokenId: newTokenId() }, "tokenId"],
    ["empty owner", { owner: "" }, "owner"],
    ["isAdmin string", { isAdmin: "true" }, "isAdmin"],
    ["expiry in past", { expiresAt: 5 }, "expiresAt"],
    ["roles string", { roles: "a" }, "roles"],
    ["roles both", { roles: { add: ["a"], remove: ["b"] } }, "roles"],
    ["roles empty add", { roles: { add: [] } }, "roles.add"],
    ["roles bad remove", { roles: { remove: [3] } }, "roles.remove"],
    ["roles unknown op", { roles: { set: ["a"] } }, "roles"],
    ["name array", { name: ["x"] }, "name"],
  ])("update: %s", async (_label, changes, field) => {
    await expectInvalid(() => store.update(existing, changes as never), field);
  });

  it.each([
    ["get", () => store.get("bad")],
    ["update", () => store.update("bad", { name: "x" })],
    ["revoke", () => store.revoke("bad")],
    ["restore", () => store.restore("bad")],
    ["get with a number", () => store.get(42 as never)],
    ["generate", () => store.generate({ tokenId: "../../etc" })],
  ])("%s: a malformed token id", async (_label, call) => {
    await expectInvalid(call, "tokenId");
  });

  it("verify never throws on garbage", async () => {
    for (const garbage of ["", "pat_", "pat_\u0000", "x".repeat(10_000), 42, null, { token: "x" }]) {
      const result = await store.verify(garbage as never);
      expect(result.ok).toBe(false);
    }
  });

  it("touch ignores a malformed id", async () => {
    await expect(store.touch("bad", { at: 1 })).resolves.toBeUndefined();
  });
});
