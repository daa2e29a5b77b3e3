import { describe, expect, it } from "vitest";
import { testIssuer } from "../app-fixture.js";

describe("smoke", () => {
  it("exchanges", async () => {
    const issuer = await testIssuer();
    const { token } = await issuer.store.issue({ owner: "alice", roles: ["read"] });
    const jwt = await issuer.exchange(token);
    const claims = await issuer.verifyWithJwks(jwt);
    expect(claims.sub).toBe("alice");
    const admin = await issuer.adminJwt();
    const list = await issuer.app.inject({ url: "/admin/tokens", headers: { authorization: `Bearer ${admin}` } });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.length).toBe(2);
    const docs = await issuer.app.inject({ url: "/docs/json" });
    expect(docs.statusCode).toBe(200);
  });
});
