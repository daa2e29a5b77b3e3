import { MAX_DENY_VALUE_LENGTH } from "@patgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_OWNER_LENGTH } from "../../../src/tokens/validation.js";
import { type TestIssuer, testIssuer } from "../../app-fixture.js";

// Input the deny-list cannot carry (a lone surrogate: Redis's cjson refuses it;
// control characters; more than the deny-list's value cap) is refused at the
// edge with a 400 naming the field, before anything reaches the outbox.

let issuer: TestIssuer;
let admin: string;
let tokenId: string;

beforeAll(async () => {
  issuer = await testIssuer();
  admin = await issuer.adminJwt();
  tokenId = (await issuer.store.issue({ owner: "someone", roles: ["read"] })).record.tokenId;
});

function send(method: "POST" | "PATCH", url: string, body?: string) {
  return issuer.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { payload: body }),
  });
}

async function revocationCount(): Promise<number> {
  const response = await issuer.app.inject({
    url: "/admin/revocations",
    headers: { authorization: `Bearer ${admin}` },
  });
  return (response.json().items as unknown[]).length;
}

// JSON text, so that "\ud800" reaches the server as the escape a client would send.
const LONE_SURROGATE = '"a\\ud800b"';
const LOW_SURROGATE = '"\\udc00"';
const CONTROL = '"a\\u0007b"';
const C1_CONTROL = '"a\\u0085b"';

describe("admin input the deny-list cannot carry", () => {
  it("keeps owners within the deny-list's value cap", () => {
    expect(MAX_OWNER_LENGTH).toBeLessThanOrEqual(MAX_DENY_VALUE_LENGTH);
  });

  it.each([
    ["a jti with a lone high surrogate", "POST", "/admin/jwts/revoke", `{"jti":${LONE_SURROGATE}}`, "jti"],
    ["a jti with a lone low surrogate", "POST", "/admin/jwts/revoke", `{"jti":${LOW_SURROGATE}}`, "jti"],
    ["a jti with a control character", "POST", "/admin/jwts/revoke", `{"jti":${CONTROL}}`, "jti"],
    ["a jti with a C1 control character", "POST", "/admin/jwts/revoke", `{"jti":${C1_CONTROL}}`, "jti"],
    ["a jti longer than the cap", "POST", "/admin/jwts/revoke", `{"jti":"${"j".repeat(600)}"}`, "jti"],
    ["a new owner with a lone surrogate", "POST", "/admin/tokens", `{"owner":${LONE_SURROGATE}}`, "owner"],
    ["a new owner with a control character", "POST", "/admin/tokens", `{"owner":${CONTROL}}`, "owner"],
    ["a new owner longer than the cap", "POST", "/admin/tokens", `{"owner":"${"o".repeat(600)}"}`, "owner"],
    ["a role with a lone surrogate", "POST", "/admin/tokens", `{"owner":"o","roles":[${LONE_SURROGATE}]}`, "roles"],
    ["a name with a lone surrogate", "POST", "/admin/tokens", `{"owner":"o","name":${LONE_SURROGATE}}`, "name"],
    ["an updated owner with a lone surrogate", "PATCH", "TOKEN", `{"owner":${LONE_SURROGATE}}`, "owner"],
    ["an updated owner with a control character", "PATCH", "TOKEN", `{"owner":${CONTROL}}`, "owner"],
    ["an added role with a lone surrogate", "PATCH", "TOKEN", `{"roles":{"add":[${LONE_SURROGATE}]}}`, "roles.add"],
    ["an owner to revoke with a control character", "POST", "/admin/owners/a%07b/revoke", undefined, "owner"],
    ["an owner to revoke with a DEL", "POST", "/admin/owners/a%7Fb/revoke", undefined, "owner"],
  ] as const)("refuses %s: 400 naming the field, nothing recorded", async (_name, method, url, body, field) => {
    const before = await revocationCount();
    const response = await send(method, url === "TOKEN" ? `/admin/tokens/${tokenId}` : url, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: "invalid_request",
      error_code: "field_invalid",
      error_description: expect.any(String),
      field,
    });
    expect(await revocationCount()).toBe(before);
  });

  it("refuses an owner to revoke that is not UTF-8 (a lone surrogate encoded) before routing", async () => {
    const response = await send("POST", "/admin/owners/%ED%A0%80/revoke");
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe("invalid_request");
  });

  it("still takes well-formed text beyond ASCII, surrogate pairs included", async () => {
    const jti = await send("POST", "/admin/jwts/revoke", '{"jti":"caf\\u00e9-\\ud83d\\ude00"}');
    expect(jti.statusCode).toBe(200);
    expect(jti.json()).toMatchObject({ jti: "café-😀", propagation: "confirmed" });
    const owner = await send("POST", `/admin/owners/${encodeURIComponent("zoë-😀")}/revoke`);
    expect(owner.statusCode).toBe(200);
    expect(owner.json()).toMatchObject({ owner: "zoë-😀", propagation: "confirmed" });
  });
});
