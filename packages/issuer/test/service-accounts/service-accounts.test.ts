import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServiceAccountStore } from "../../src/service-accounts/service-account-store.js";
import { ownerTableName } from "../../src/tokens/owner-revisions.js";
import { adminCall, expectError, type TestIssuer, testIssuer } from "../app-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";

/**
 * `/admin/service-accounts` through the real app: accounts are created,
 * listed, shown, their members changed, and deleted (revoking their PATs);
 * their PATs survive the revocation of the person who made them.
 */
let issuer: TestIssuer;
let admin: string;
const call = (method: "GET" | "POST" | "PATCH", url: string, payload?: unknown) =>
  adminCall(issuer.app, admin, method, url, payload);
const remove = (url: string) =>
  issuer.app.inject({ method: "DELETE", url, headers: { authorization: `Bearer ${admin}` } });

beforeAll(async () => {
  const { store, client, tableName } = await freshStore();
  const serviceAccounts = createServiceAccountStore(client, ownerTableName(tableName));
  issuer = await testIssuer({}, { store, serviceAccounts });
  admin = await issuer.adminJwt();
});
afterAll(() => issuer.app.close());

describe("service accounts", () => {
  it("are created, listed and shown; a taken name is a 409", async () => {
    const created = await call("POST", "/admin/service-accounts", {
      name: "deploy-bot",
      members: ["bob", "alice", "alice"],
      description: "deploys",
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: "deploy-bot", owner: "svc:deploy-bot", members: ["alice", "bob"] });
    expect((await call("POST", "/admin/service-accounts", { name: "deploy-bot" })).statusCode).toBe(409);
    expect((await call("GET", "/admin/service-accounts")).json().items.map((a: { name: string }) => a.name)).toContain(
      "deploy-bot",
    );
    expect((await call("GET", "/admin/service-accounts/svc:deploy-bot")).json().members).toEqual(["alice", "bob"]);
  });

  it.each([
    ["not an identifier", { name: "deploy bot" }, "name"],
    ["empty", { name: "" }, "name"],
    ["a service account as a member", { name: "x1", members: ["svc:other"] }, "members"],
  ])("refuses a name or members %s with a 400 naming the field", async (_what, body, field) => {
    const response = await call("POST", "/admin/service-accounts", body);
    expectError(response, 400, "invalid_request", "field_invalid");
    expect(response.json().field).toBe(field);
  });

  it("answers 404 for an account that does not exist, and for a PAT of one", async () => {
    expectError(await call("GET", "/admin/service-accounts/nobody"), 404, "not_found", "service_account_not_found");
    const pat = await call("POST", "/admin/tokens", { owner: "svc:nobody" });
    expectError(pat, 404, "not_found", "service_account_not_found");
    expect((await issuer.store.list({ owner: "svc:nobody" })).items).toEqual([]);
  });

  it("changes members: replace, add, remove", async () => {
    await call("POST", "/admin/service-accounts", { name: "members-test", members: ["a"] });
    const url = "/admin/service-accounts/members-test";
    expect((await call("PATCH", url, { members: { add: ["c", "b"] } })).json().members).toEqual(["a", "b", "c"]);
    expect((await call("PATCH", url, { members: { remove: ["a"] } })).json().members).toEqual(["b", "c"]);
    expect((await call("PATCH", url, { members: ["z"] })).json().members).toEqual(["z"]);
    expectError(await call("PATCH", "/admin/service-accounts/ghost", { members: ["z"] }), 404, "not_found");
  });

  it("keep their PATs working when the person who made them is revoked", async () => {
    await call("POST", "/admin/service-accounts", { name: "ci", members: ["carol"] });
    const svcPat = (await call("POST", "/admin/tokens", { owner: "svc:ci", roles: ["deploy"] })).json().token;
    const carolPat = (await call("POST", "/admin/tokens", { owner: "carol" })).json().token;
    expect((await call("POST", "/admin/owners/carol/revoke")).json().revoked).toBe(1);
    await expect(issuer.exchange(carolPat)).rejects.toThrow(/400/);
    expect(await issuer.exchange(svcPat)).toEqual(expect.any(String));
  });

  it("deleted, revoke every PAT they own, and take no new ones", async () => {
    await call("POST", "/admin/service-accounts", { name: "doomed" });
    const pat = (await call("POST", "/admin/tokens", { owner: "svc:doomed" })).json().token;
    const jwt = await issuer.exchange(pat);
    const deleted = await remove("/admin/service-accounts/doomed");
    expect(deleted.json()).toEqual({ name: "doomed", revoked: 1 });
    await expect(issuer.exchange(pat)).rejects.toThrow(/400/);
    const introspected = await issuer.app.inject({
      method: "POST",
      url: "/introspect",
      headers: { authorization: `Bearer ${admin}` },
      payload: { token: jwt },
    });
    expect(introspected.json().active).toBe(false);
    expectError(await call("GET", "/admin/service-accounts/doomed"), 404, "not_found");
    expectError(await call("POST", "/admin/tokens", { owner: "svc:doomed" }), 404, "not_found");
    expectError(await remove("/admin/service-accounts/doomed"), 404, "not_found");
  });

  it("writes audit lines naming the admin who acted", () => {
    const lines = issuer.audit.filter((line) => line.action.startsWith("service_account."));
    expect(lines.map((line) => line.action)).toEqual(
      expect.arrayContaining(["service_account.create", "service_account.delete"]),
    );
    expect(lines.every((line) => line.actor.startsWith("root"))).toBe(true);
  });

  it("name the account on their audit lines, and the members a change added and removed", () => {
    const lines = issuer.audit.filter((line) => line.action.startsWith("service_account."));
    const of = (action: string, name: string) =>
      lines.filter((line) => line.action === action && line.details?.name === name);
    expect(of("service_account.create", "deploy-bot")[0]).toMatchObject({
      result: "success",
      details: { name: "deploy-bot", members: "alice,bob" },
    });
    expect(of("service_account.update", "members-test").map((line) => line.details)).toEqual([
      { name: "members-test", added: "b,c", removed: "" },
      { name: "members-test", added: "", removed: "a" },
      { name: "members-test", added: "z", removed: "b,c" },
    ]);
    expect(of("service_account.delete", "doomed").map((line) => line.result)).toEqual(["success", "failure"]);
  });
});
