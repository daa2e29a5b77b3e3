import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { adminCall, type TestIssuer, testIssuer } from "../app-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";

// Roles are OAuth scope tokens (RFC 6749 §3.3: printable ASCII without space,
// '"' or '\'): refused otherwise at creation and update. A role stored before
// that rule is still listed, can be removed, and is never granted in a JWT.

let issuer: TestIssuer;
let admin: string;
let addStoredRoles: (tokenId: string, roles: string[]) => Promise<void>;

beforeAll(async () => {
  const { store, client, tableName } = await freshStore();
  const doc = DynamoDBDocumentClient.from(client);
  // Straight into the table, past validation: roles an older issuer accepted.
  addStoredRoles = async (tokenId, roles) => {
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { tokenId },
        UpdateExpression: "ADD #roles :roles",
        ExpressionAttributeNames: { "#roles": "roles" },
        ExpressionAttributeValues: { ":roles": new Set(roles) },
      }),
    );
  };
  issuer = await testIssuer({}, { store });
  admin = await issuer.adminJwt();
});

function call(method: "GET" | "POST" | "PATCH", url: string, payload?: unknown) {
  return adminCall(issuer.app, admin, method, url, payload);
}

const NOT_SCOPE_TOKENS = ['say"hi', "back\\slash", "café", "rôle", "naïve", "日本", "a\u00a0b"];

describe("roles are OAuth scope tokens", () => {
  it.each(NOT_SCOPE_TOKENS)("refuses %j at creation, replacement and addition", async (role) => {
    const created = await call("POST", "/admin/tokens", { owner: "roles", roles: ["read", role] });
    expect(created.statusCode).toBe(400);
    expect(created.json()).toMatchObject({ error: "invalid_request", field: "roles" });

    const { record } = await issuer.store.issue({ owner: "roles", roles: ["read"] });
    const replaced = await call("PATCH", `/admin/tokens/${record.tokenId}`, { roles: [role] });
    expect(replaced.statusCode).toBe(400);
    expect(replaced.json()).toMatchObject({ error: "invalid_request", field: "roles" });
    const added = await call("PATCH", `/admin/tokens/${record.tokenId}`, { roles: { add: [role] } });
    expect(added.statusCode).toBe(400);
    expect(added.json()).toMatchObject({ error: "invalid_request", field: "roles.add" });
    expect((await issuer.store.get(record.tokenId))?.roles).toEqual(["read"]);
  });

  it("takes every printable ASCII character a scope token allows", async () => {
    const role = "!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~";
    const created = await call("POST", "/admin/tokens", { owner: "roles", roles: [role, "billing:read"] });
    expect(created.statusCode).toBe(201);
    const claims = decodeJwt(await issuer.exchange(created.json().token));
    expect(claims.roles).toEqual(["!#$%&'()*+,-./0123456789:;<=>?@AZ[]^_`az{|}~", "billing:read"].sort());
  });
});

describe("roles stored before the rule", () => {
  it("are listed, never granted in a JWT (nor shown by introspection), and can be removed", async () => {
    const { token, record } = await issuer.store.issue({ owner: "legacy", roles: ["read"] });
    await addStoredRoles(record.tokenId, ['say"hi', "café"]);

    const shown = await call("GET", `/admin/tokens/${record.tokenId}`);
    expect(shown.json().roles).toEqual(["café", "read", 'say"hi']);
    const listed = await call("GET", `/admin/tokens?role=${encodeURIComponent("café")}`);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((r: { tokenId: string }) => r.tokenId)).toEqual([record.tokenId]);

    const exchanged = await issuer.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(exchanged.statusCode).toBe(200);
    expect(exchanged.json().scope).toBe("read");
    expect(decodeJwt(exchanged.json().access_token)).toMatchObject({ roles: ["read"], scope: "read" });

    const introspected = await issuer.app.inject({
      method: "POST",
      url: "/introspect",
      headers: { authorization: `Bearer ${admin}` },
      payload: { token },
    });
    expect(introspected.json()).toMatchObject({ active: true, scope: "read", roles: ["read"] });

    const removed = await call("PATCH", `/admin/tokens/${record.tokenId}`, { roles: { remove: ['say"hi', "café"] } });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().record.roles).toEqual(["read"]);
  });
});
