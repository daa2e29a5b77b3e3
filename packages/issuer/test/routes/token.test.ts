import { Writable } from "node:stream";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { StoreUnavailableError } from "../../src/tokens/errors.js";
import type { TokenStore } from "../../src/tokens/types.js";
import { expectError, ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";

const GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT = "urn:ietf:params:oauth:token-type:access_token";

let issuer: TestIssuer;
let pat: string;
let tokenId: string;

beforeAll(async () => {
  issuer = await testIssuer();
  const issued = await issuer.store.issue({ owner: "alice", roles: ["read", "write"] });
  pat = issued.token;
  tokenId = issued.record.tokenId;
});

function post(payload: unknown, headers: Record<string, string> = {}) {
  return issuer.app.inject({ method: "POST", url: "/token", payload: payload as string, headers });
}

function form(fields: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const item of [v].flat()) params.append(k, item);
  return params.toString();
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

describe("POST /token: success", () => {
  it("exchanges a PAT sent as a form (RFC 8693) for an RFC 9068 JWT", async () => {
    const response = await post(form({ grant_type: GRANT, subject_token: pat, subject_token_type: AT }), FORM);
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    const body = response.json();
    expect(body).toMatchObject({ issued_token_type: AT, token_type: "Bearer", expires_in: 300, scope: "read write" });
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    const claims = await issuer.verifyWithJwks(body.access_token);
    expect(claims).toMatchObject({
      iss: ISSUER,
      sub: "alice",
      aud: "patgate",
      client_id: tokenId,
      roles: ["read", "write"],
      scope: "read write",
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(300);
    expect(typeof claims.jti).toBe("string");
  });

  it("accepts JSON, the patgate token type, and the Bearer shortcut", async () => {
    expect(
      (await post({ grant_type: GRANT, subject_token: pat, subject_token_type: "urn:patgate:token-type:pat" }))
        .statusCode,
    ).toBe(200);
    const shortcut = await issuer.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${pat}` },
    });
    expect(shortcut.statusCode).toBe(200);
    expect(decodeJwt(shortcut.json().access_token).sub).toBe("alice");
  });

  it("down-scopes to the requested roles and honours an allowed audience", async () => {
    const jwt = await issuer.exchange(pat, { scope: "write", audience: "billing" });
    const claims = await issuer.verifyWithJwks(jwt);
    expect(claims).toMatchObject({ roles: ["write"], scope: "write", aud: "billing" });
  });

  it("never lets the JWT outlive the PAT", async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 100;
    const { token } = await issuer.store.issue({ owner: "short", expiresAt });
    const claims = decodeJwt(await issuer.exchange(token));
    expect(claims.exp).toBe(expiresAt);
  });

  it("signs with ES256 and RS256 when configured", async () => {
    for (const alg of ["ES256", "RS256"]) {
      const other = await testIssuer({ PATGATE_SIGNING_ALG: alg });
      const { token } = await other.store.issue({ owner: "o" });
      const jwt = await other.exchange(token);
      expect(decodeProtectedHeader(jwt).alg).toBe(alg);
      await expect(other.verifyWithJwks(jwt)).resolves.toMatchObject({ sub: "o" });
    }
  });
});

describe("POST /token: RFC 6749 errors", () => {
  it.each([
    ["no grant_type", { subject_token: "x", subject_token_type: AT }, "invalid_request"],
    [
      "wrong grant_type",
      { grant_type: "client_credentials", subject_token: "x", subject_token_type: AT },
      "unsupported_grant_type",
    ],
    ["no subject_token", { grant_type: GRANT, subject_token_type: AT }, "invalid_request"],
    ["no subject_token_type", { grant_type: GRANT, subject_token: "x" }, "invalid_request"],
    [
      "wrong subject_token_type",
      { grant_type: GRANT, subject_token: "x", subject_token_type: "urn:x" },
      "invalid_request",
    ],
    [
      "actor_token",
      { grant_type: GRANT, subject_token: "x", subject_token_type: AT, actor_token: "y" },
      "invalid_request",
    ],
    [
      "array subject_token",
      { grant_type: GRANT, subject_token: ["a", "b"], subject_token_type: AT },
      "invalid_request",
    ],
    ["numeric subject_token", { grant_type: GRANT, subject_token: 5, subject_token_type: AT }, "invalid_request"],
    ["a JSON array body", [1, 2], "invalid_request"],
  ])("%s -> %s", async (_label, payload, error) => {
    expectError(await post(payload), 400, error);
  });

  it("rejects a duplicated form parameter", async () => {
    const response = await post(form({ grant_type: GRANT, subject_token: [pat, pat], subject_token_type: AT }), FORM);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toBe("invalid_request");
  });

  it("rejects a PAT in both the body and the header", async () => {
    const response = await post(
      { grant_type: GRANT, subject_token: pat, subject_token_type: AT },
      { authorization: `Bearer ${pat}` },
    );
    expect(response.json().error).toBe("invalid_request");
  });

  it("invalid_scope for a role the PAT lacks, invalid_target for an unknown audience", async () => {
    const scoped = await post({ grant_type: GRANT, subject_token: pat, subject_token_type: AT, scope: "read admin" });
    expect(scoped.statusCode).toBe(400);
    expect(scoped.json().error).toBe("invalid_scope");
    const target = await post({ grant_type: GRANT, subject_token: pat, subject_token_type: AT, audience: "elsewhere" });
    expect(target.json().error).toBe("invalid_target");
  });

  it("gives the admin audience only to admin PATs, and never down-scoped", async () => {
    const admin = { audience: issuer.config.adminAudience };
    // A PAT with a role named "admin" is still not an admin PAT.
    const { token: user } = await issuer.store.issue({ owner: "mallory", roles: ["admin", "read"] });
    const refused = await post({ grant_type: GRANT, subject_token: user, subject_token_type: AT, ...admin });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toBe("invalid_target");
    expect(issuer.audit.some((e) => e.reason === "audience_forbidden" && e.actor.startsWith("holder"))).toBe(true);

    const { token: root } = await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["ops", "billing"] });
    const narrowed = await post({
      grant_type: GRANT,
      subject_token: root,
      subject_token_type: AT,
      scope: "ops",
      ...admin,
    });
    expect(narrowed.statusCode).toBe(400);
    expect(narrowed.json().error).toBe("invalid_scope");
    // Naming every role is not a narrowing.
    const full = decodeJwt(await issuer.exchange(root, { scope: "ops billing", ...admin }));
    expect(full).toMatchObject({ aud: "patgate-admin", roles: ["billing", "ops"] });
    // The default audience stays the first service audience, even for an admin PAT.
    expect(decodeJwt(await issuer.exchange(root)).aud).toBe("patgate");
    // The Bearer shortcut takes the audience from a form body.
    const shortcut = await post(form(admin), { ...FORM, authorization: `Bearer ${root}` });
    expect(decodeJwt(shortcut.json().access_token).aud).toBe("patgate-admin");
  });

  it("says the same thing for a missing token, a wrong secret and garbage", async () => {
    const { record } = await issuer.store.issue({ owner: "bob" });
    const secret = Buffer.alloc(32, 7).toString("base64url");
    const candidates = [
      `pat_${record.tokenId}.${secret}`,
      `pat_${"A".repeat(21)}.${secret}`,
      "pat_garbage",
      "nonsense",
    ];
    const bodies = await Promise.all(
      candidates.map(async (token) =>
        (await post({ grant_type: GRANT, subject_token: token, subject_token_type: AT })).json(),
      ),
    );
    // The same body, word for word, whichever way the PAT is wrong.
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(bodies[0]).toEqual({
      error: "invalid_request",
      error_code: "subject_invalid",
      error_description: expect.any(String),
    });
    expect(issuer.audit.some((e) => e.reason === "invalid_secret" && e.tokenId === record.tokenId)).toBe(true);
    expect(issuer.audit.some((e) => e.reason === "not_found")).toBe(true);
  });

  it("tells the holder of the secret that the PAT is revoked or expired", async () => {
    let clock = Date.now();
    const timed = await testIssuer({}, { now: () => clock, storeNow: () => clock });
    const { token, record } = await timed.store.issue({ owner: "c", expiresAt: Math.floor(clock / 1000) + 30 });
    clock += 60_000;
    const expired = await timed.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(expired.json()).toMatchObject({ error: "invalid_request", error_code: "subject_expired" });
    const { token: other, record: otherRecord } = await timed.store.issue({ owner: "d" });
    await timed.store.revoke(otherRecord.tokenId);
    const revoked = await timed.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${other}` },
    });
    expect(revoked.json()).toMatchObject({ error: "invalid_request", error_code: "subject_revoked" });
    expect(record.tokenId).toBeDefined();
  });
});

describe("the verified-PAT cache", () => {
  it("skips the store on a re-exchange and is evicted by a revocation", async () => {
    const base = await testIssuer();
    const verify = vi.fn((token: string) => base.store.verify(token));
    const spied: TokenStore = { ...base.store, verify };
    const cached = await testIssuer({}, { store: spied });
    const { token, record } = await base.store.issue({ owner: "eve", roles: ["a", "b"] });
    await cached.exchange(token);
    await cached.exchange(token);
    expect(verify).toHaveBeenCalledTimes(1);

    // A role removal through the admin API evicts it; the next exchange sees the downgrade.
    const admin = await cached.adminJwt();
    const patch = await cached.app.inject({
      method: "PATCH",
      url: `/admin/tokens/${record.tokenId}`,
      headers: { authorization: `Bearer ${admin}` },
      payload: { roles: { remove: ["b"] } },
    });
    expect(patch.statusCode).toBe(200);
    const after = decodeJwt(await cached.exchange(token));
    expect(after.roles).toEqual(["a"]);

    const revoke = await cached.app.inject({
      method: "POST",
      url: `/admin/tokens/${record.tokenId}/revoke`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(revoke.json()).toMatchObject({ changed: true, propagation: "confirmed" });
    await expect(cached.exchange(token)).rejects.toThrow(/revoked/);
  });
});

describe("failures and limits", () => {
  it("answers 503 with Retry-After when the store is down, never 500", async () => {
    const down: TokenStore = {
      ...issuer.store,
      verify: async () => {
        throw new StoreUnavailableError("down");
      },
    };
    const broken = await testIssuer({}, { store: down });
    const response = await broken.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${pat}` },
    });
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBeDefined();
    expect(response.json().error).toBe("temporarily_unavailable");
  });

  it("rate-limits per client IP with 429 and Retry-After", async () => {
    const limited = await testIssuer({ PATGATE_RATE_LIMIT: "3" });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await limited.app.inject({ method: "POST", url: "/token", payload: {} })).statusCode);
    expect(codes).toEqual([400, 400, 400, 429, 429]);
    const response = await limited.app.inject({ method: "POST", url: "/token", payload: {} });
    expect(response.headers["retry-after"]).toMatch(/^\d+$/);
    expect(response.json().error).toBe("slow_down");
  });

  it("keeps serving a holder already proven (in the PAT cache) while guesses lock its token id out", async () => {
    const limited = await testIssuer({ PATGATE_TOKEN_FAILURE_LIMIT: "2" });
    const { token, record } = await limited.store.issue({ owner: "holder" });
    const exchange = (pat: string) =>
      limited.app.inject({ method: "POST", url: "/token", headers: { authorization: `Bearer ${pat}` } });
    expect((await exchange(token)).statusCode).toBe(200);
    const wrong = `pat_${record.tokenId}.${Buffer.alloc(32, 2).toString("base64url")}`;
    for (let i = 0; i < 3; i++) expect((await exchange(wrong)).statusCode).not.toBe(200);
    expect((await exchange(wrong)).statusCode).toBe(429);
    expect((await exchange(token)).statusCode).toBe(200);
  });

  it("refuses an oversized body with 413 and a JSON error", async () => {
    const response = await post({ grant_type: GRANT, subject_token: "x".repeat(20_000), subject_token_type: AT });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toBe("invalid_request");
  });

  it.each([
    ["malformed JSON", "{not json", { "content-type": "application/json" }],
    ["text/plain", "hello", { "content-type": "text/plain" }],
    ["xml", "<a/>", { "content-type": "application/xml" }],
    [
      "NUL bytes",
      JSON.stringify({ grant_type: GRANT, subject_token: "pat_\u0000", subject_token_type: AT }),
      { "content-type": "application/json" },
    ],
    [
      "10 kB token",
      JSON.stringify({ grant_type: GRANT, subject_token: "p".repeat(10_000), subject_token_type: AT }),
      { "content-type": "application/json" },
    ],
    [
      "unicode",
      JSON.stringify({ grant_type: GRANT, subject_token: "pat_😀😀", subject_token_type: AT }),
      { "content-type": "application/json" },
    ],
    ["object for a string", JSON.stringify({ grant_type: { a: 1 } }), { "content-type": "application/json" }],
    ["bad Authorization", "", { authorization: "Basic abc" }],
    ["empty Bearer", "", { authorization: "Bearer " }],
    ["two Bearer tokens", "", { authorization: "Bearer a b" }],
  ])("answers %s with a 4xx JSON error, never a 500", async (_label, payload, headers) => {
    const response = await issuer.app.inject({ method: "POST", url: "/token", payload, headers });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.json()).toHaveProperty("error");
    expect(response.body).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("logs", () => {
  it("never contain the PAT or the issued JWT", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logged = await testIssuer({ PATGATE_LOG_LEVEL: "trace" }, { logger: { stream } });
    const { token } = await logged.store.issue({ owner: "secretive" });
    const jwt = await logged.exchange(token);
    await logged.app.inject({ method: "POST", url: "/token", headers: { authorization: `Bearer ${token}` } });
    await logged.app.inject({
      method: "POST",
      url: "/token",
      payload: "{bad",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    });
    const all = lines.join("");
    expect(lines.length).toBeGreaterThanOrEqual(3); // one access line per request, at least
    expect(all).not.toContain(token.split(".")[1] ?? "unreachable");
    expect(all).not.toContain(jwt.split(".")[2] ?? "unreachable");
  });
});
