import type { KeyObject } from "node:crypto";
import { type CryptoKey, decodeJwt, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { testDynamoClient, uniqueName } from "../../../../../test/harness/context.js";
import type { AuditLog } from "../../../src/audit/audit-log.js";
import { createAuditLog, createAuditTable } from "../../../src/audit/audit-log.js";
import { adminCall, expectError, ISSUER, type TestIssuer, testIssuer } from "../../app-fixture.js";

let issuer: TestIssuer;
let admin: string;
let auditLog: AuditLog;

beforeAll(async () => {
  const client = testDynamoClient();
  const table = uniqueName("audit");
  await createAuditTable(client, table);
  auditLog = createAuditLog(client, table);
  issuer = await testIssuer({}, { audit: auditLog, auditTrail: auditLog });
  admin = await issuer.adminJwt();
});

function call(method: "GET" | "POST" | "PATCH", url: string, payload?: unknown, jwt: string | null = admin) {
  return adminCall(issuer.app, jwt, method, url, payload);
}

describe("the auth matrix over every admin route", () => {
  const ID = "AAAAAAAAAAAAAAAAAAAAA";
  const routes: [string, "GET" | "POST" | "PATCH", string, unknown?][] = [
    ["create", "POST", "/admin/tokens", { owner: "x" }],
    ["list", "GET", "/admin/tokens"],
    ["show", "GET", `/admin/tokens/${ID}`],
    ["update", "PATCH", `/admin/tokens/${ID}`, { name: "n" }],
    ["revoke", "POST", `/admin/tokens/${ID}/revoke`],
    ["restore", "POST", `/admin/tokens/${ID}/restore`],
    ["rotate", "POST", `/admin/tokens/${ID}/rotate`, {}],
    ["audit", "GET", `/admin/tokens/${ID}/audit`],
    ["global audit", "GET", "/admin/audit"],
    ["revoke owner", "POST", "/admin/owners/someone/revoke"],
    ["deny jti", "POST", "/admin/jwts/revoke", { jti: "abc" }],
    ["revocations", "GET", "/admin/revocations"],
    ["rotate keys", "POST", "/admin/keys/rotate"],
    ["webhook deliveries", "GET", "/admin/webhooks/deliveries"],
    ["retry webhook delivery", "POST", "/admin/webhooks/deliveries/msg_abc/retry"],
    ["Shared Signals streams", "GET", "/admin/ssf/streams"],
    ["SET pushes", "GET", "/admin/ssf/deliveries"],
    ["retry SET push", "POST", "/admin/ssf/deliveries/abc/retry"],
  ];
  /** Valid JWTs of this issuer that carry no admin authority: 403 insufficient_scope (RFC 6750 §3.1). */
  const FORBIDDEN = new Set([
    "not admin",
    "not admin, admin audience",
    "admin PAT, service audience",
    "admin PAT, second service audience",
    "admin PAT, down-scoped",
    "admin PAT, down-scoped, admin audience",
    "admin PAT, admin and service audiences",
    "demoted admin PAT, admin audience",
  ]);

  let credentials: Record<string, string | null>;
  beforeAll(async () => {
    const adminAudience = issuer.config.adminAudience;
    const { token: userPat, record: userRecord } = await issuer.store.issue({ owner: "user", roles: ["admin"] });
    const notAdmin = await issuer.exchange(userPat);
    const { token: revokedPat, record } = await issuer.store.issue({ owner: "ex-admin", isAdmin: true });
    const revoked = await issuer.exchangeAdmin(revokedPat);
    await issuer.store.revoke(record.tokenId);
    const { token: adminPat, record: adminRecord } = await issuer.store.issue({
      owner: "root2",
      isAdmin: true,
      roles: ["ops", "billing"],
    });
    const base = decodeJwt(await issuer.exchangeAdmin(adminPat));
    const signing = issuer.keys.signingKey(Math.floor(Date.now() / 1000));
    // Signed with the issuer's own key: what a JWT minted some other way (an older issuer) would be.
    const forge = (claims: Record<string, unknown>, key: CryptoKey | KeyObject = signing.key, kid = signing.kid) =>
      new SignJWT({ ...base, ...claims }).setProtectedHeader({ alg: "EdDSA", kid, typ: "at+jwt" }).sign(key);
    const { privateKey: strangerKey } = await generateKeyPair("EdDSA");
    const { token: demotedPat, record: demotedRecord } = await issuer.store.issue({ owner: "demoted", isAdmin: true });
    const demoted = await issuer.exchangeAdmin(demotedPat);
    await issuer.store.update(demotedRecord.tokenId, { isAdmin: false });
    credentials = {
      "no token": null,
      garbage: "not.a.jwt",
      expired: await forge({ iat: 1_000_000, exp: 1_000_300 }),
      "not admin": notAdmin,
      "not admin, admin audience": await forge({ sub: "user", client_id: userRecord.tokenId, roles: ["admin"] }),
      "admin PAT, service audience": await issuer.exchange(adminPat),
      "admin PAT, second service audience": await issuer.exchange(adminPat, { audience: "billing" }),
      "admin PAT, down-scoped": await issuer.exchange(adminPat, { scope: "ops" }),
      "admin PAT, down-scoped, admin audience": await forge({ roles: ["ops"], scope: "ops" }),
      "admin PAT, admin and service audiences": await forge({ aud: [adminAudience, "patgate"] }),
      "demoted admin PAT, admin audience": demoted,
      "wrong audience": await forge({ aud: "elsewhere" }),
      "wrong issuer": await forge({ iss: "https://evil.test" }),
      "foreign key": await forge({}, strangerKey),
      "revoked PAT": revoked,
      "PAT itself": adminPat,
    };
    expect(adminRecord.isAdmin).toBe(true);
    expect(base.aud).toBe(adminAudience);
  });

  it.each(routes)("%s refuses every bad credential", async (_label, method, url, payload) => {
    for (const [name, jwt] of Object.entries(credentials)) {
      const response = await call(method, url, payload, jwt);
      const expected = FORBIDDEN.has(name) ? 403 : 401;
      expect(response.statusCode, `${name}`).toBe(expected);
      expect(response.json().error, name).toBe(expected === 403 ? "insufficient_scope" : "invalid_token");
      const challenge = String(response.headers["www-authenticate"]);
      expect(challenge.startsWith("Bearer"), name).toBe(true);
      if (name === "no token") expect(challenge).toBe("Bearer");
    }
  });

  it("covers every admin route the app serves", () => {
    // The OpenAPI document lists every route registered with a schema: every admin route has one.
    const paths = (issuer.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
    const served = Object.entries(paths)
      .filter(([path]) => path.startsWith("/admin/"))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    const covered = routes.map(([, method, url]) =>
      `${method} ${url}`
        .replace(ID, "{tokenId}")
        .replace("/someone/", "/{owner}/")
        .replace("/msg_abc/", "/{id}/")
        .replace("/deliveries/abc/", "/deliveries/{jti}/"),
    );
    expect(served.length).toBeGreaterThan(0);
    expect(new Set(covered)).toEqual(new Set(served));
  });

  it("accepts the admin", async () => {
    expect(ISSUER).toBeDefined();
    expect((await call("GET", "/admin/tokens")).statusCode).toBe(200);
  });
});

describe("token management", () => {
  it("creates (shown once), shows, lists, updates, revokes and restores", async () => {
    const created = await call("POST", "/admin/tokens", {
      owner: "carol",
      roles: ["read"],
      name: "laptop",
      expiresIn: 3600,
    });
    expect(created.statusCode).toBe(201);
    const { token, record } = created.json();
    expect(token).toMatch(/^pat_/);
    expect(record).toMatchObject({ owner: "carol", roles: ["read"], name: "laptop", isRevoked: false });
    expect(record.expiresAt).toBeGreaterThan(Date.now() / 1000);

    const shown = await call("GET", `/admin/tokens/${record.tokenId}`);
    expect(shown.json()).toEqual(record);
    expect(shown.body).not.toContain("secretPhc");

    const listed = await call("GET", "/admin/tokens?owner=carol");
    expect(listed.json().items.map((r: { tokenId: string }) => r.tokenId)).toEqual([record.tokenId]);
    const byRole = await call("GET", "/admin/tokens?role=read&limit=100");
    expect(byRole.json().items.some((r: { tokenId: string }) => r.tokenId === record.tokenId)).toBe(true);

    const added = await call("PATCH", `/admin/tokens/${record.tokenId}`, { roles: { add: ["write"] }, name: "desk" });
    expect(added.json()).toMatchObject({
      record: { roles: ["read", "write"], name: "desk" },
      propagation: "confirmed",
    });
    const replaced = await call("PATCH", `/admin/tokens/${record.tokenId}`, { roles: ["ops"], expiresAt: null });
    expect(replaced.json().record.roles).toEqual(["ops"]);
    expect(replaced.json().record.expiresAt).toBeUndefined();

    const revoked = await call("POST", `/admin/tokens/${record.tokenId}/revoke`);
    expect(revoked.json()).toMatchObject({ changed: true, record: { isRevoked: true }, propagation: "confirmed" });
    expect((await call("POST", `/admin/tokens/${record.tokenId}/revoke`)).json().changed).toBe(false);
    await expect(issuer.exchange(token)).rejects.toThrow(/revoked/);
    const restored = await call("POST", `/admin/tokens/${record.tokenId}/restore`);
    expect(restored.json()).toMatchObject({ changed: true, record: { isRevoked: false } });
    await expect(issuer.exchange(token)).resolves.toMatch(/^ey/);

    await auditLog.flush();
    const trail = await call("GET", `/admin/tokens/${record.tokenId}/audit`);
    const actions = trail.json().items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["token.restore", "token.revoke", "token.update", "token.create"]));
    // One line per action: the create is on the token's own trail, once.
    expect(actions.filter((action: string) => action.startsWith("token.create"))).toEqual(["token.create"]);
    expect(trail.json().items[0].actor).toMatch(/^root/);
    expect(trail.body).not.toContain(token);
  });

  it.each([
    ["a missing token", "GET", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA", undefined, 404, "not_found"],
    ["revoking a missing token", "POST", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA/revoke", undefined, 404, "not_found"],
    ["updating a missing token", "PATCH", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA", { name: "x" }, 404, "not_found"],
    ["a malformed id", "GET", "/admin/tokens/nope", undefined, 400, "invalid_request"],
    ["no owner", "POST", "/admin/tokens", { roles: ["x"] }, 400, "invalid_request"],
    ["a numeric owner", "POST", "/admin/tokens", { owner: 42 }, 400, "invalid_request"],
    [
      "51 roles",
      "POST",
      "/admin/tokens",
      { owner: "o", roles: Array.from({ length: 51 }, (_, i) => `r${i}`) },
      400,
      "invalid_request",
    ],
    ["an expiry in the past", "POST", "/admin/tokens", { owner: "o", expiresAt: 5 }, 400, "invalid_request"],
    ["an unknown field", "POST", "/admin/tokens", { owner: "o", colour: "red" }, 400, "invalid_request"],
    ["an empty update", "PATCH", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA", {}, 400, "invalid_request"],
    ["a bad limit", "GET", "/admin/tokens?limit=abc", undefined, 400, "invalid_request"],
    ["a garbage cursor", "GET", "/admin/tokens?cursor=zzz", undefined, 400, "invalid_request"],
    ["a repeated query parameter", "GET", "/admin/tokens?owner=a&owner=b", undefined, 400, "invalid_request"],
    ["a jti that is not a string", "POST", "/admin/jwts/revoke", { jti: 5 }, 400, "invalid_request"],
    ["an unknown route", "GET", "/admin/nothing", undefined, 404, "not_found"],
  ] as const)("%s -> %i %s", async (_label, method, url, payload, status, error) => {
    const response = await call(method, url, payload);
    expectError(response, status, error);
  });

  it("refuses a duplicate id with 409", async () => {
    const id = "BBBBBBBBBBBBBBBBBBBBB";
    await issuer.store.issue({ owner: "dup", tokenId: id });
    const response = await call("POST", "/admin/tokens", { owner: "dup", tokenId: id });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toBe("conflict");
  });

  it("names the bad field", async () => {
    const response = await call("POST", "/admin/tokens", { owner: "o", roles: ["has space"] });
    expect(response.json()).toMatchObject({ error: "invalid_request", field: "roles" });
  });
});

describe("revocation through the admin API", () => {
  it("revoking an owner revokes all their PATs and denies their JWTs", async () => {
    const a = await issuer.store.issue({ owner: "dan" });
    const b = await issuer.store.issue({ owner: "dan", isAdmin: true });
    const other = await issuer.store.issue({ owner: "erin" });
    const danAdminJwt = await issuer.exchangeAdmin(b.token);
    const response = await call("POST", "/admin/owners/dan/revoke");
    expect(response.json()).toEqual({ owner: "dan", revoked: 2, propagation: "confirmed" });
    expect((await issuer.store.get(a.record.tokenId))?.isRevoked).toBe(true);
    expect((await issuer.store.get(other.record.tokenId))?.isRevoked).toBe(false);
    // Dan's admin JWT no longer opens the admin API.
    expect((await call("GET", "/admin/tokens", undefined, danAdminJwt)).statusCode).toBe(401);
  });

  it("denying one jti rejects that JWT and keeps its siblings", async () => {
    const { token } = await issuer.store.issue({ owner: "fay", isAdmin: true });
    const first = await issuer.exchangeAdmin(token);
    const second = await issuer.exchangeAdmin(token);
    const jti = decodeJwt(first).jti;
    const response = await call("POST", "/admin/jwts/revoke", { jti });
    expect(response.json()).toEqual({ jti, propagation: "confirmed" });
    expect((await call("GET", "/admin/tokens", undefined, first)).statusCode).toBe(401);
    expect((await call("GET", "/admin/tokens", undefined, second)).statusCode).toBe(200);
  });

  it("a JWT minted right after a role removal is not caught by the mark", async () => {
    const { token, record } = await issuer.store.issue({ owner: "gus", roles: ["a", "b"], isAdmin: true });
    const before = await issuer.exchangeAdmin(token);
    await call("PATCH", `/admin/tokens/${record.tokenId}`, { roles: { remove: ["b"] } });
    const after = await issuer.exchangeAdmin(token);
    expect((await call("GET", "/admin/tokens", undefined, before)).statusCode).toBe(401);
    expect((await call("GET", "/admin/tokens", undefined, after)).statusCode).toBe(200);
  });

  it("rotates keys: the new key is published before it signs", async () => {
    const rotating = await testIssuer();
    const adminJwt = await rotating.adminJwt();
    const before = (await rotating.app.inject({ url: "/.well-known/jwks.json" })).json().keys.length;
    const response = await rotating.app.inject({
      method: "POST",
      url: "/admin/keys/rotate",
      headers: { authorization: `Bearer ${adminJwt}` },
    });
    expect(response.statusCode).toBe(200);
    const { kid } = response.json();
    const jwks = (await rotating.app.inject({ url: "/.well-known/jwks.json" })).json();
    expect(jwks.keys.length).toBe(before + 1);
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
  });
});

describe("admin authority (only admin-audience JWTs of admin PATs, not down-scoped)", () => {
  it("a service-audience or down-scoped JWT of an admin PAT creates no admin PAT and rotates no key", async () => {
    const { token } = await issuer.store.issue({ owner: "ops-lead", isAdmin: true, roles: ["ops", "deploy"] });
    const keysBefore = (await issuer.app.inject({ url: "/.well-known/jwks.json" })).json().keys.length;
    for (const jwt of [
      await issuer.exchange(token, { audience: "billing" }),
      await issuer.exchange(token, { scope: "ops" }),
    ]) {
      const created = await call("POST", "/admin/tokens", { owner: "intruder", isAdmin: true }, jwt);
      expect(created.statusCode).toBe(403);
      expect((await call("POST", "/admin/keys/rotate", undefined, jwt)).statusCode).toBe(403);
    }
    expect((await issuer.store.list({ owner: "intruder" })).items).toEqual([]);
    expect((await issuer.app.inject({ url: "/.well-known/jwks.json" })).json().keys.length).toBe(keysBefore);
    // The same PAT exchanged for the admin audience is an admin.
    expect((await call("GET", "/admin/tokens", undefined, await issuer.exchangeAdmin(token))).statusCode).toBe(200);
  });

  it("an admin JWT missing a role its PAT holds now is refused until the PAT is exchanged again", async () => {
    const { token, record } = await issuer.store.issue({ owner: "grower", isAdmin: true, roles: ["a"] });
    const before = await issuer.exchangeAdmin(token);
    expect((await call("GET", "/admin/tokens", undefined, before)).statusCode).toBe(200);
    expect((await call("PATCH", `/admin/tokens/${record.tokenId}`, { roles: { add: ["b"] } })).statusCode).toBe(200);
    const stale = await call("GET", "/admin/tokens", undefined, before);
    expect(stale.statusCode).toBe(403);
    expect(stale.json().error).toBe("insufficient_scope");
    expect((await call("GET", "/admin/tokens", undefined, await issuer.exchangeAdmin(token))).statusCode).toBe(200);
  });
});
