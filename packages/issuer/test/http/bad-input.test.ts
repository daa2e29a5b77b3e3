import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { expectError, type TestIssuer, testIssuer } from "../app-fixture.js";

// Hundreds of malformed requests across every endpoint, each with the status
// and RFC 6749 / 6750 error it must get: never a 5xx, never a stack trace,
// and the issuer still healthy afterwards.

const GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT = "urn:ietf:params:oauth:token-type:access_token";
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const JSON_TYPE = { "content-type": "application/json" };

interface Case {
  readonly name: string;
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly url: string;
  readonly headers?: Record<string, string | string[]>;
  readonly payload?: string;
  /** Adds the admin JWT as the Authorization header. */
  readonly admin?: boolean;
  readonly status: number;
  readonly error: string;
}

const form = (fields: Record<string, string | string[]>) => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  return params.toString();
};
const exchangeForm = (subject: string, extra: Record<string, string | string[]> = {}) =>
  form({ grant_type: GRANT, subject_token: subject, subject_token_type: AT, ...extra });

const forged: Record<string, string> = {};
// Built before the table: the cases embed a real PAT, an admin JWT and forgeries of it.
const issuer: TestIssuer = await testIssuer();
const adminJwt = await issuer.adminJwt();
const issued = await issuer.store.issue({ owner: "bad-input", roles: ["read"] });
const pat = issued.token;
const tokenId = issued.record.tokenId;
const [header = "", payload = "", signature = ""] = adminJwt.split(".");
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
const other = await generateKeyPair("EdDSA", { crv: "Ed25519" });
forged["truncated JWT"] = adminJwt.slice(0, -10);
forged["JWT without signature"] = `${header}.${payload}.`;
forged["alg none"] = `${b64({ alg: "none", typ: "at+jwt" })}.${payload}.`;
forged["HS256 keyed with the public key"] = await new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256", typ: "at+jwt", kid: JSON.parse(Buffer.from(header, "base64url").toString()).kid })
  .sign(new TextEncoder().encode(JSON.stringify((await issuer.app.inject({ url: "/.well-known/jwks.json" })).json())));
forged["forged kid"] = await new SignJWT(claims)
  .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: "forged-kid" })
  .sign(other.privateKey);
forged["embedded jwk"] = await new SignJWT(claims)
  .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", jwk: await exportJWK(other.publicKey) })
  .sign(other.privateKey);
forged["tampered payload"] = `${header}.${b64({ ...claims, sub: "mallory" })}.${signature}`;
forged["a PAT instead of a JWT"] = pat;
forged["10 kB token"] = "a".repeat(10_000);
forged["unicode token"] = "ey😀.ey😀.sig";

function tokenCases(): Case[] {
  const post = (name: string, payload: string, headers: Record<string, string>, status: number, error: string) =>
    ({ name: `/token: ${name}`, method: "POST", url: "/token", payload, headers, status, error }) as Case;
  const cases: Case[] = [];
  // Content types the endpoint does not take, each with a body that would otherwise be fine.
  for (const type of [
    "text/plain",
    "application/xml",
    "text/html",
    "application/octet-stream",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "image/png",
    "application/x-www-form-urlencoded-x",
  ]) {
    cases.push(post(`content type ${type}`, exchangeForm("pat_x"), { "content-type": type }, 400, "invalid_request"));
  }
  // Bodies that do not parse, or parse into something that is not an object.
  for (const [name, body] of [
    ["truncated JSON", '{"grant_type":'],
    ["a JSON array", "[]"],
    ["JSON null", "null"],
    ["a JSON number", "42"],
    ["a JSON string", '"token"'],
    ["JSON with a BOM", `\uFEFF{"grant_type":"${GRANT}"}`],
    ["JSON with NUL bytes", '{"grant_type":"\u0000"}'],
    ["single-quoted JSON", "{'grant_type':'x'}"],
    ["JSON with a trailing comma", '{"grant_type":"x",}'],
    ["a deeply nested JSON", `${"[".repeat(5000)}${"]".repeat(5000)}`],
  ] as const) {
    cases.push(post(name, body, JSON_TYPE, 400, "invalid_request"));
  }
  // grant_type: missing or not a single string -> invalid_request; another grant -> unsupported_grant_type.
  const withGrant = (grant: unknown) =>
    JSON.stringify({ grant_type: grant, subject_token: pat, subject_token_type: AT });
  for (const [name, value] of [
    ["an empty grant_type", ""],
    ["a grant_type array", [GRANT]],
    ["a grant_type object", { value: GRANT }],
    ["a numeric grant_type", 8693],
    ["a null grant_type", null],
    ["a boolean grant_type", true],
  ] as const) {
    cases.push(post(name, withGrant(value), JSON_TYPE, 400, "invalid_request"));
  }
  // Another grant is unsupported; a value no grant could have (control characters, 10 kB) is malformed.
  for (const [grant, error] of [
    ["password", "unsupported_grant_type"],
    ["client_credentials", "unsupported_grant_type"],
    ["authorization_code", "unsupported_grant_type"],
    ["refresh_token", "unsupported_grant_type"],
    [GRANT.toUpperCase(), "unsupported_grant_type"],
    [`${GRANT} `, "unsupported_grant_type"],
    [`${GRANT}\u0000`, "invalid_request"],
    ["g".repeat(10_000), "invalid_request"],
  ] as const) {
    cases.push(
      post(`grant_type ${JSON.stringify(grant.slice(-20))} (${grant.length})`, withGrant(grant), JSON_TYPE, 400, error),
    );
  }
  cases.push(
    post(
      "no grant_type",
      JSON.stringify({ subject_token: pat, subject_token_type: AT }),
      JSON_TYPE,
      400,
      "invalid_request",
    ),
  );
  // subject_token: anything that is not this issuer's valid PAT gets the same words.
  for (const [name, value] of [
    ["an empty subject_token", ""],
    ["a 10 kB subject_token", "p".repeat(10_000)],
    ["NUL bytes", "pat_\u0000\u0000"],
    ["unicode", "pat_ünïcödé"],
    ["emoji", "pat_😀😀😀"],
    ["only the prefix", "pat_"],
    ["a bad checksum", `${pat.slice(0, -6)}AAAAAA`],
    ["a wrong secret", `${pat.slice(0, 26)}${"A".repeat(43)}`],
    ["a JWT", adminJwt],
    ["leading spaces", `  ${pat}`],
    ["a newline inside", `${pat.slice(0, 10)}\n${pat.slice(10)}`],
    ["SQL", "' OR 1=1 --"],
    ["a path", "../../etc/passwd"],
    ["percent-encoded", encodeURIComponent(pat).replace(/_/g, "%5F")],
    ["another prefix", pat.replace(/^pat_/, "ghp_")],
    ["a truncated PAT", pat.slice(0, 30)],
  ] as const) {
    cases.push(post(`form: ${name}`, exchangeForm(value), FORM, 400, "invalid_request"));
    cases.push(
      post(
        `JSON: ${name}`,
        JSON.stringify({ grant_type: GRANT, subject_token: value, subject_token_type: AT }),
        JSON_TYPE,
        400,
        "invalid_request",
      ),
    );
  }
  for (const [name, value] of [
    ["a subject_token array", [pat]],
    ["a subject_token object", { token: pat }],
    ["a numeric subject_token", 12345],
    ["a null subject_token", null],
  ] as const) {
    cases.push(
      post(
        name,
        JSON.stringify({ grant_type: GRANT, subject_token: value, subject_token_type: AT }),
        JSON_TYPE,
        400,
        "invalid_request",
      ),
    );
  }
  // subject_token_type.
  for (const [name, value] of [
    ["no subject_token_type", undefined],
    ["a JWT subject_token_type", "urn:ietf:params:oauth:token-type:jwt"],
    ["an id_token subject_token_type", "urn:ietf:params:oauth:token-type:id_token"],
    ["a subject_token_type array", [AT]],
    ["a numeric subject_token_type", 1],
  ] as const) {
    cases.push(
      post(
        name,
        JSON.stringify({ grant_type: GRANT, subject_token: pat, subject_token_type: value }),
        JSON_TYPE,
        400,
        "invalid_request",
      ),
    );
  }
  // Duplicated parameters are ambiguous: refused, never "first one wins".
  for (const field of ["grant_type", "subject_token", "subject_token_type", "scope", "audience"]) {
    const values: Record<string, string> = {
      grant_type: GRANT,
      subject_token: pat,
      subject_token_type: AT,
      scope: "read",
      audience: "patgate",
    };
    const value = values[field] as string;
    // Two audiences are two targets (RFC 8707): invalid_target; any other repeat is malformed.
    const error = field === "audience" ? "invalid_target" : "invalid_request";
    cases.push(post(`a repeated ${field}`, exchangeForm(pat, { [field]: [value, value] }), FORM, 400, error));
  }
  // Down-scoping and audience, with a valid PAT.
  cases.push(post("a scope the PAT lacks", exchangeForm(pat, { scope: "admin" }), FORM, 400, "invalid_scope"));
  cases.push(post("an empty scope", exchangeForm(pat, { scope: " " }), FORM, 400, "invalid_scope"));
  cases.push(post("a 10 kB scope", exchangeForm(pat, { scope: "r ".repeat(5000) }), FORM, 400, "invalid_request"));
  cases.push(post("an unknown audience", exchangeForm(pat, { audience: "elsewhere" }), FORM, 400, "invalid_target"));
  cases.push(
    post(
      "an audience array",
      JSON.stringify({ grant_type: GRANT, subject_token: pat, subject_token_type: AT, audience: ["patgate"] }),
      JSON_TYPE,
      400,
      "invalid_target",
    ),
  );
  cases.push(
    post("an actor_token", exchangeForm(pat, { actor_token: pat, actor_token_type: AT }), FORM, 400, "invalid_request"),
  );
  cases.push(
    post(
      "a requested_token_type of id_token",
      exchangeForm(pat, { requested_token_type: "urn:ietf:params:oauth:token-type:id_token" }),
      FORM,
      400,
      "invalid_request",
    ),
  );
  // The Authorization shortcut.
  // Client authentication: patgate's clients are public (RFC 6749 §5.2).
  cases.push(
    post("Authorization: Basic credentials", "", { authorization: "Basic dXNlcjpwYXNz" }, 401, "invalid_client"),
  );
  for (const [name, value] of [
    ["a bare Bearer", "Bearer"],
    ["an empty Bearer", "Bearer "],
    ["two tokens", `Bearer ${pat} ${pat}`],
    ["a garbage Bearer", "Bearer garbage"],
    ["a 10 kB Bearer", `Bearer ${"x".repeat(10_000)}`],
    ["another scheme", `Token ${pat}`],
    ["a JWT as Bearer", `Bearer ${adminJwt}`],
    ["a Bearer with a comma", `Bearer ${pat},x`],
  ] as const) {
    cases.push(post(`Authorization: ${name}`, "", { authorization: value }, 400, "invalid_request"));
  }
  cases.push(
    post(
      "a PAT in both the header and the body",
      exchangeForm(pat),
      { ...FORM, authorization: `Bearer ${pat}` },
      400,
      "invalid_request",
    ),
  );
  cases.push(post("an oversized body", exchangeForm("p".repeat(20_000)), FORM, 413, "invalid_request"));
  cases.push(
    post("a 100 kB JSON body", JSON.stringify({ pad: "x".repeat(100_000) }), JSON_TYPE, 413, "invalid_request"),
  );
  cases.push({ name: "/token: GET", method: "GET", url: "/token", status: 405, error: "invalid_request" });
  for (const method of ["PUT", "PATCH", "DELETE"] as const) {
    cases.push({ name: `/token: ${method}`, method, url: "/token", status: 404, error: "not_found" });
  }
  return cases;
}

function revokeAndIntrospectCases(): Case[] {
  const cases: Case[] = [];
  for (const url of ["/revoke", "/introspect"]) {
    const admin = url === "/introspect";
    const post = (name: string, payload: string, headers: Record<string, string>, status: number, error: string) =>
      ({ name: `${url}: ${name}`, method: "POST", url, payload, headers, admin, status, error }) as Case;
    for (const type of [
      "text/plain",
      "application/xml",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
    ]) {
      cases.push(post(`content type ${type}`, form({ token: "x" }), { "content-type": type }, 400, "invalid_request"));
    }
    cases.push(post("no token", form({}), FORM, 400, "invalid_request"));
    cases.push(post("a repeated token", form({ token: ["a", "b"] }), FORM, 400, "invalid_request"));
    cases.push(post("a token array", JSON.stringify({ token: ["a"] }), JSON_TYPE, 400, "invalid_request"));
    cases.push(post("a numeric token", JSON.stringify({ token: 5 }), JSON_TYPE, 400, "invalid_request"));
    cases.push(post("truncated JSON", '{"token":', JSON_TYPE, 400, "invalid_request"));
    cases.push(post("an oversized body", form({ token: "t".repeat(40_000) }), FORM, 413, "invalid_request"));
  }
  // /introspect needs an admin or introspect JWT: every bad credential is a 401.
  for (const [name, jwt] of Object.entries(forged)) {
    cases.push({
      name: `/introspect: Authorization with ${name}`,
      method: "POST",
      url: "/introspect",
      payload: form({ token: "x" }),
      headers: { ...FORM, authorization: `Bearer ${jwt}` },
      status: 401,
      error: "invalid_token",
    });
  }
  return cases;
}

const ADMIN_ROUTES: readonly [Case["method"], string, unknown][] = [
  ["GET", "/admin/tokens", undefined],
  ["POST", "/admin/tokens", { owner: "x" }],
  ["GET", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA", undefined],
  ["PATCH", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA", { name: "x" }],
  ["POST", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA/revoke", undefined],
  ["POST", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA/restore", undefined],
  ["GET", "/admin/tokens/AAAAAAAAAAAAAAAAAAAAA/audit", undefined],
  ["POST", "/admin/owners/someone/revoke", undefined],
  ["POST", "/admin/jwts/revoke", { jti: "x" }],
  ["POST", "/admin/keys/rotate", undefined],
  ["GET", "/admin/revocations", undefined],
];

function adminAuthCases(): Case[] {
  const cases: Case[] = [];
  const schemes: [string, string | undefined][] = [
    ["no Authorization", undefined],
    ["Basic credentials", "Basic YWRtaW46YWRtaW4="],
    ["a bare Bearer", "Bearer"],
    ["a lowercase scheme with garbage", "bearer garbage.garbage.garbage"],
    ...Object.entries(forged).map(([name, jwt]): [string, string] => [name, `Bearer ${jwt}`]),
  ];
  for (const [method, url, body] of ADMIN_ROUTES) {
    for (const [name, header] of schemes) {
      cases.push({
        name: `${method} ${url}: ${name}`,
        method,
        url,
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        headers: {
          ...(body === undefined ? {} : JSON_TYPE),
          ...(header === undefined ? {} : { authorization: header }),
        },
        status: 401,
        error: "invalid_token",
      });
    }
  }
  return cases;
}

function adminBodyCases(): Case[] {
  const cases: Case[] = [];
  const call = (name: string, method: Case["method"], url: string, body: unknown, status: number, error: string) =>
    cases.push({
      name: `${method} ${url.slice(0, 60)}: ${name}`,
      method,
      url,
      admin: true,
      ...(body === undefined
        ? {}
        : { payload: typeof body === "string" ? body : JSON.stringify(body), headers: JSON_TYPE }),
      status,
      error,
    });
  for (const [name, body] of [
    ["no owner", { roles: ["r"] }],
    ["an empty owner", { owner: "" }],
    ["an owner array", { owner: ["a"] }],
    ["a numeric owner", { owner: 1 }],
    ["a 10 kB owner", { owner: "o".repeat(10_000) }],
    ["an owner with NUL", { owner: "a\u0000b" }],
    ["roles as a string", { owner: "o", roles: "read" }],
    ["a numeric role", { owner: "o", roles: [1] }],
    ["51 roles", { owner: "o", roles: Array.from({ length: 51 }, (_, i) => `r${i}`) }],
    ["a 101-character role", { owner: "o", roles: ["r".repeat(101)] }],
    ["an empty role", { owner: "o", roles: [""] }],
    ["isAdmin as a string", { owner: "o", isAdmin: "yes" }],
    ["expiresAt in the past", { owner: "o", expiresAt: 1 }],
    ["expiresAt as a string", { owner: "o", expiresAt: "tomorrow" }],
    ["expiresAt as a float", { owner: "o", expiresAt: 1e30 }],
    ["an unknown field", { owner: "o", colour: "red" }],
    ["a JSON array body", [{ owner: "o" }]],
    ["a JSON null body", null],
    ["a 10 kB name", { owner: "o", name: "n".repeat(10_000) }],
    ["truncated JSON", '{"owner":'],
    ["a prototype key", '{"owner":"o","__proto__":{"isAdmin":true}}'],
  ] as const) {
    call(name, "POST", "/admin/tokens", body, 400, "invalid_request");
  }
  for (const [name, body] of [
    ["an empty update", {}],
    ["roles.add as a string", { roles: { add: "x" } }],
    ["roles add and remove together", { roles: { add: ["a"], remove: ["b"] } }],
    ["roles as an object of nothing", { roles: {} }],
    ["owner null", { owner: null }],
    ["an unknown field", { colour: "red" }],
    ["expiresAt in the past", { expiresAt: 1 }],
  ] as const) {
    call(name, "PATCH", `/admin/tokens/${"A".repeat(21)}`, body, 400, "invalid_request");
  }
  for (const [name, id, status, error] of [
    ["a short id", "abc", 400, "invalid_request"],
    ["a 10 kB id", "A".repeat(10_000), 414, "invalid_request"],
    ["an id with unicode", encodeURIComponent("ÄAAAAAAAAAAAAAAAAAAAA"), 400, "invalid_request"],
    ["an id with NUL", "AAAAAAAAAA%00AAAAAAAAAA", 400, "invalid_request"],
    ["an id with a dot", "AAAAAAAAAA.AAAAAAAAAA", 400, "invalid_request"],
    ["a missing id", "A".repeat(21), 404, "not_found"],
  ] as const) {
    call(name, "GET", `/admin/tokens/${id}`, undefined, status, error);
    call(name, "POST", `/admin/tokens/${id}/revoke`, undefined, status, error);
  }
  for (const [name, query] of [
    ["limit 0", "limit=0"],
    ["limit -1", "limit=-1"],
    ["limit 1e9", "limit=1000000000"],
    ["limit abc", "limit=abc"],
    ["limit twice", "limit=1&limit=2"],
    ["a garbage cursor", "cursor=zzz"],
    ["a 10 kB cursor", `cursor=${"c".repeat(10_000)}`],
    ["owner twice", "owner=a&owner=b"],
    ["active maybe", "active=maybe"],
  ] as const) {
    call(name, "GET", `/admin/tokens?${query}`, undefined, 400, "invalid_request");
  }
  call("no jti", "POST", "/admin/jwts/revoke", {}, 400, "invalid_request");
  call("a numeric jti", "POST", "/admin/jwts/revoke", { jti: 5 }, 400, "invalid_request");
  call("an empty jti", "POST", "/admin/jwts/revoke", { jti: "" }, 400, "invalid_request");
  call("a 10 kB jti", "POST", "/admin/jwts/revoke", { jti: "j".repeat(10_000) }, 400, "invalid_request");
  call("a 10 kB owner", "POST", `/admin/owners/${"o".repeat(10_000)}/revoke`, undefined, 414, "invalid_request");
  call("a revocations limit of 0", "GET", "/admin/revocations?limit=0", undefined, 400, "invalid_request");
  call("a revocations limit of abc", "GET", "/admin/revocations?limit=abc", undefined, 400, "invalid_request");
  call("an unknown admin route", "GET", "/admin/nothing", undefined, 404, "not_found");
  // Normalised to GET /token, which is POST only.
  call("a path traversal", "GET", "/admin/tokens/../../token", undefined, 405, "invalid_request");
  return cases;
}

const CASES: Case[] = [...tokenCases(), ...revokeAndIntrospectCases(), ...adminAuthCases(), ...adminBodyCases()];

describe("bad input", () => {
  it("has at least 200 cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(200);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const response = await issuer.app.inject({
      method: c.method,
      url: c.url,
      headers: { ...c.headers, ...(c.admin ? { authorization: `Bearer ${adminJwt}` } : {}) },
      ...(c.payload === undefined ? {} : { payload: c.payload }),
    });
    expectError(response, c.status, c.error);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(response.body).not.toMatch(/\bat .*:\d+:\d+|node_modules|\/src\//);
    // RFC 6750 for bearer tokens, RFC 6749 §5.2 (a Basic challenge) for client authentication.
    if (c.status === 401)
      expect(String(response.headers["www-authenticate"])).toMatch(c.error === "invalid_client" ? /^Basic/ : /^Bearer/);
  });

  it("leaves the issuer healthy and serving", async () => {
    expect((await issuer.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await issuer.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    expect(await issuer.exchange(pat)).toMatch(/^ey/);
    expect((await issuer.store.get(tokenId))?.isRevoked).toBe(false);
  });
});
