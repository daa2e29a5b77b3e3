import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestIssuer, testIssuer } from "../app-fixture.js";

let issuer: TestIssuer;
let admin: string;

beforeAll(async () => {
  issuer = await testIssuer();
  admin = await issuer.adminJwt();
});

const revoke = (payload: unknown, headers: Record<string, string> = {}) =>
  issuer.app.inject({ method: "POST", url: "/revoke", payload: payload as Record<string, unknown>, headers });
const introspect = (token: string, jwt: string | null = admin) =>
  issuer.app.inject({
    method: "POST",
    url: "/introspect",
    payload: { token },
    headers: jwt ? { authorization: `Bearer ${jwt}` } : {},
  });

describe("POST /revoke (RFC 7009)", () => {
  it("lets the holder of a PAT revoke it", async () => {
    const { token, record } = await issuer.store.issue({ owner: "holder" });
    const response = await revoke(new URLSearchParams({ token }).toString(), {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(response.statusCode).toBe(200);
    expect((await issuer.store.get(record.tokenId))?.isRevoked).toBe(true);
  });

  it("denies a JWT presented by its holder", async () => {
    const { token } = await issuer.store.issue({ owner: "jwt-holder" });
    const jwt = await issuer.exchange(token);
    expect((await introspect(jwt)).json().active).toBe(true);
    expect((await revoke({ token: jwt })).statusCode).toBe(200);
    expect((await introspect(jwt)).json()).toEqual({ active: false });
  });

  it("answers 200 whatever the token, and changes nothing for a wrong secret", async () => {
    const { record } = await issuer.store.issue({ owner: "victim" });
    const guess = `pat_${record.tokenId}.${Buffer.alloc(32, 9).toString("base64url")}`;
    for (const token of [guess, "garbage", "a.b.c", "pat_x"]) expect((await revoke({ token })).statusCode).toBe(200);
    expect((await issuer.store.get(record.tokenId))?.isRevoked).toBe(false);
  });

  it("needs a token parameter", async () => {
    const response = await revoke({});
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe("invalid_request");
  });
});

describe("POST /introspect (RFC 7662)", () => {
  it("describes an active JWT and PAT to an admin", async () => {
    const { token, record } = await issuer.store.issue({ owner: "ivy", roles: ["r1"] });
    const jwt = await issuer.exchange(token);
    const body = (await introspect(jwt)).json();
    expect(body).toMatchObject({
      active: true,
      sub: "ivy",
      client_id: record.tokenId,
      scope: "r1",
      token_type: "Bearer",
      jti: decodeJwt(jwt).jti,
    });
    expect((await introspect(token)).json()).toMatchObject({ active: true, client_id: record.tokenId, sub: "ivy" });
  });

  it("says only active:false for anything inactive", async () => {
    const { token, record } = await issuer.store.issue({ owner: "gone" });
    const jwt = await issuer.exchange(token);
    await issuer.store.revoke(record.tokenId);
    for (const candidate of [jwt, token, "garbage", "a.b.c"])
      expect((await introspect(candidate)).json()).toEqual({ active: false });
  });

  it("accepts an introspect-role JWT and refuses others", async () => {
    const { token } = await issuer.store.issue({ owner: "svc", roles: ["introspect"] });
    const svc = await issuer.exchange(token);
    expect((await introspect("x", svc)).statusCode).toBe(200);
    const { token: plain } = await issuer.store.issue({ owner: "plain", roles: ["read"] });
    const plainJwt = await issuer.exchange(plain);
    const refused = await introspect("x", plainJwt);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toBe("insufficient_scope");
    // An introspect role is enough in any audience of this issuer, down-scoped to it too.
    const { token: both } = await issuer.store.issue({ owner: "svc2", roles: ["introspect", "read"] });
    expect((await introspect("x", await issuer.exchange(both, { scope: "introspect" }))).statusCode).toBe(200);
    expect((await introspect("x", await issuer.exchange(both, { audience: "billing" }))).statusCode).toBe(200);
    const anonymous = await introspect("x", null);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toBe("Bearer");
  });

  it("takes an admin PAT's JWT as an admin only in the admin audience, not down-scoped", async () => {
    const { token } = await issuer.store.issue({ owner: "ops-admin", isAdmin: true, roles: ["ops", "billing"] });
    expect((await introspect("x", await issuer.exchangeAdmin(token))).statusCode).toBe(200);
    for (const jwt of [
      await issuer.exchange(token),
      await issuer.exchange(token, { audience: "billing" }),
      await issuer.exchange(token, { scope: "ops" }),
    ]) {
      const refused = await introspect("x", jwt);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error).toBe("insufficient_scope");
    }
  });
});

describe("discovery and operations", () => {
  it("serves the JWKS with max-age and no private key members", async () => {
    const response = await issuer.app.inject({ url: "/.well-known/jwks.json" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toMatch(/max-age=\d+/);
    const { keys } = response.json();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key.kid).toBeTruthy();
      for (const secret of ["d", "p", "q", "dp", "dq", "qi"]) expect(key).not.toHaveProperty(secret);
    }
  });

  it("serves RFC 8414 metadata", async () => {
    const body = (await issuer.app.inject({ url: "/.well-known/oauth-authorization-server" })).json();
    expect(body).toMatchObject({
      issuer: "https://issuer.test",
      token_endpoint: "https://issuer.test/token",
      jwks_uri: "https://issuer.test/.well-known/jwks.json",
      revocation_endpoint: "https://issuer.test/revoke",
      introspection_endpoint: "https://issuer.test/introspect",
      grant_types_supported: ["urn:ietf:params:oauth:grant-type:token-exchange"],
    });
  });

  it("reports health, readiness and metrics", async () => {
    expect((await issuer.app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    expect((await issuer.app.inject({ url: "/readyz" })).json()).toEqual({ status: "ready", checks: { store: "ok" } });
    const metrics = (await issuer.app.inject({ url: "/metrics" })).body;
    expect(metrics).toMatch(/patgate_token_exchanges_total\{outcome="success"\} \d+/);
    expect(metrics).toMatch(/patgate_token_exchange_duration_seconds_bucket\{le="\+Inf"\} \d+/);
    expect(metrics).toContain("patgate_pat_cache_misses_total");
    const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(metrics)?.[1]);
    expect(rss).toBeGreaterThan(10 * 2 ** 20);
    expect(Number(/^nodejs_heap_size_used_bytes (\d+)$/m.exec(metrics)?.[1])).toBeLessThan(rss);
  });

  it("counts requests in flight: the /metrics request itself, and none left over from earlier ones", async () => {
    await Promise.all([issuer.app.inject({ url: "/healthz" }), issuer.app.inject({ url: "/nope" })]);
    for (let i = 0; i < 2; i++) {
      const metrics = (await issuer.app.inject({ url: "/metrics" })).body;
      expect(metrics).toMatch(/^patgate_http_requests_in_flight 1$/m);
    }
  });

  it("is not ready when the store is down", async () => {
    const down = await testIssuer({}, { store: { ...issuer.store, ping: () => Promise.reject(new Error("down")) } });
    const response = await down.app.inject({ url: "/readyz" });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks.store).toBe("unavailable");
  });

  it("documents the API in OpenAPI at /docs", async () => {
    const doc = (await issuer.app.inject({ url: "/docs/json" })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/token", "/admin/tokens", "/admin/tokens/{tokenId}/revoke", "/revoke"]),
    );
    expect((await issuer.app.inject({ url: "/docs" })).statusCode).toBeLessThan(400);
  });

  it("documents the /token and /revoke bodies, as a form and as JSON", async () => {
    const doc = (await issuer.app.inject({ url: "/docs/json" })).json();
    for (const [path, parameter] of [
      ["/token", "subject_token"],
      ["/revoke", "token"],
      ["/introspect", "token"],
    ] as const) {
      const content = doc.paths[path].post.requestBody.content;
      expect(Object.keys(content).sort()).toEqual(["application/json", "application/x-www-form-urlencoded"]);
      expect(Object.keys(content["application/json"].schema.properties)).toContain(parameter);
    }
    expect(doc.paths["/revoke"].post.requestBody.content["application/json"].schema.required).toEqual(["token"]);
  });

  it("documents one page query (limit, cursor) on every paged admin list", async () => {
    const doc = (await issuer.app.inject({ url: "/docs/json" })).json();
    for (const path of [
      "/admin/tokens",
      "/admin/audit",
      "/admin/tokens/{tokenId}/audit",
      "/admin/webhooks/deliveries",
    ]) {
      const names = (doc.paths[path].get.parameters as { name: string; in: string }[])
        .filter((p) => p.in === "query")
        .map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(["limit", "cursor"]));
    }
  });
});
