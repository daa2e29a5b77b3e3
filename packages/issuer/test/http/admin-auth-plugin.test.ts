import { beforeAll, describe, expect, it } from "vitest";
import { adminCall, type TestIssuer, testIssuer } from "../app-fixture.js";

// Admin routes refuse query parameters they do not know, instead of ignoring
// them: a misspelt filter must not return the unfiltered list as if filtered.

let issuer: TestIssuer;
let admin: string;
let tokenId: string;

beforeAll(async () => {
  issuer = await testIssuer();
  admin = await issuer.adminJwt();
  tokenId = (await issuer.store.issue({ owner: "query", roles: ["read"] })).record.tokenId;
});

function call(method: "GET" | "POST", url: string) {
  return adminCall(issuer.app, admin, method, url);
}

describe("query parameters on admin routes", () => {
  it.each([
    ["GET", "/admin/tokens?hasRole=read", "hasRole"],
    ["GET", "/admin/tokens?includeRevoked=false", "includeRevoked"],
    ["GET", "/admin/tokens?role=read&includeExpired=false", "includeExpired"],
    ["GET", "/admin/tokens/TOKEN?verbose=1", "verbose"],
    ["GET", "/admin/tokens/TOKEN/audit?limit=5&since=0", "since"],
    ["POST", "/admin/tokens/TOKEN/revoke?force=true", "force"],
    ["GET", "/admin/revocations?state=failed", "state"],
    ["POST", "/admin/keys/rotate?now=1", "now"],
  ] as const)("%s %s is a 400 naming the unknown parameter", async (method, url, field) => {
    const response = await call(method, url.replace("TOKEN", tokenId));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: "invalid_request",
      error_code: "field_invalid",
      error_description: expect.any(String),
      field,
    });
  });

  it("still needs a valid admin token first", async () => {
    const response = await issuer.app.inject({ url: "/admin/tokens?hasRole=read" });
    expect(response.statusCode).toBe(401);
  });

  it("takes every documented parameter", async () => {
    const response = await call("GET", "/admin/tokens?owner=query&role=read&limit=10&active=true");
    expect(response.statusCode).toBe(200);
    expect(response.json().items.map((r: { tokenId: string }) => r.tokenId)).toEqual([tokenId]);
    expect((await call("GET", `/admin/tokens/${tokenId}/audit?limit=5`)).statusCode).toBe(200);
    expect((await call("GET", "/admin/revocations?limit=5")).statusCode).toBe(200);
  });
});
