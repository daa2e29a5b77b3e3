import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDynamoClient, uniqueName } from "../../../../../test/harness/context.js";
import { type AuditLog, createAuditLog, createAuditTable } from "../../../src/audit/audit-log.js";
import { type TestIssuer, testIssuer } from "../../app-fixture.js";
import { runCli } from "../../cli/cli-process.js";

// The global audit trail: actions that name no token (owner revocations, jti
// denials, key rotations) are listed beside every token's lines.

let issuer: TestIssuer;
let admin: string;
let auditLog: AuditLog;
let url: string;
let adminPat: string;

beforeAll(async () => {
  const client = testDynamoClient();
  const table = uniqueName("audit-all");
  await createAuditTable(client, table);
  auditLog = createAuditLog(client, table);
  issuer = await testIssuer({}, { audit: auditLog, auditTrail: auditLog });
  adminPat = (await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["admin"] })).token;
  admin = await issuer.exchangeAdmin(adminPat);
  url = await issuer.app.listen({ port: 0, host: "127.0.0.1" });
  const call = (method: "POST", path: string, payload?: object) =>
    issuer.app.inject({ method, url: path, payload: payload ?? {}, headers: { authorization: `Bearer ${admin}` } });
  await call("POST", "/admin/tokens", { owner: "audited" });
  await call("POST", "/admin/owners/somebody/revoke");
  await call("POST", "/admin/jwts/revoke", { jti: "a-jti-to-deny" });
  await call("POST", "/admin/keys/rotate");
  await auditLog.flush();
});
afterAll(() => issuer.app.close());

const get = (query: string) =>
  issuer.app.inject({ url: `/admin/audit${query}`, headers: { authorization: `Bearer ${admin}` } });

describe("GET /admin/audit", () => {
  it("lists every action newest first, including those that name no token", async () => {
    const answer = await get("");
    expect(answer.statusCode).toBe(200);
    const actions = (answer.json().items as { action: string }[]).map((item) => item.action);
    expect(actions.indexOf("keys.rotate")).toBeLessThan(actions.indexOf("jwt.deny"));
    expect(actions.indexOf("jwt.deny")).toBeLessThan(actions.indexOf("owner.revoke"));
    expect(actions.indexOf("owner.revoke")).toBeLessThan(actions.indexOf("token.create"));
  });

  it("filters by action, actor and time, and pages with a cursor", async () => {
    const owners = (await get("?action=owner.revoke")).json().items;
    expect(owners).toHaveLength(1);
    expect(owners[0]).toMatchObject({ action: "owner.revoke", details: { owner: "somebody" } });
    const actor = owners[0].actor as string;
    expect((await get(`?actor=${encodeURIComponent(actor)}`)).json().items.length).toBeGreaterThanOrEqual(4);
    expect((await get("?actor=nobody")).json().items).toEqual([]);
    expect((await get(`?since=${Math.floor(Date.now() / 1000) + 3600}`)).json().items).toEqual([]);
    expect((await get("?since=2020-01-01")).json().items.length).toBeGreaterThanOrEqual(4);
    const first = (await get("?limit=2")).json();
    expect(first.items).toHaveLength(2);
    const second = (await get(`?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.items[0]).not.toEqual(first.items[0]);
    expect(second.items[0]).not.toEqual(first.items[1]);
  });

  it("refuses a bad since, limit or cursor with 400", async () => {
    for (const query of ["?since=yesterday", "?limit=0", "?cursor=garbage"])
      expect((await get(query)).statusCode).toBe(400);
  });

  it("is printed by patgate audit through the admin API", async () => {
    const result = await runCli(["audit", "--action", "jwt.deny", "--json"], {
      PATGATE_URL: url,
      PATGATE_TOKEN: adminPat,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).items.map((i: { action: string }) => i.action)).toEqual(["jwt.deny"]);
    const text = await runCli(["audit", "--since", "1h"], { PATGATE_URL: url, PATGATE_TOKEN: adminPat });
    expect(text.stdout).toMatch(/owner\.revoke/);
  });
});
