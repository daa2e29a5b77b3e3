import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { type TestIssuer, testIssuer } from "../app-fixture.js";

// What a strict, spec-following OAuth client meets at /token (RFC 6749 §3.2,
// §3.3, §5.2; RFC 8693 §2.2; RFC 8707; RFC 9068 §2.2.3; RFC 7662 §2.2).

const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS = "urn:ietf:params:oauth:token-type:access_token";
let issuer: TestIssuer;
let pat: string;

beforeAll(async () => {
  issuer = await testIssuer();
  pat = (await issuer.store.issue({ owner: "strict", roles: ["read", "write"] })).token;
});

const post = (payload: string, headers: Record<string, string> = {}) =>
  issuer.app.inject({
    method: "POST",
    url: "/token",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload,
  });
const form = (fields: Record<string, string | string[]>) => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  return params.toString();
};
const exchange = (extra: Record<string, string | string[]> = {}) =>
  post(form({ grant_type: EXCHANGE, subject_token: pat, subject_token_type: ACCESS, ...extra }));

/** RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E only. */
const SAFE_DESCRIPTION = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

describe("the token endpoint, for a strict OAuth client", () => {
  it("answers an unsupported grant_type with unsupported_grant_type, before anything else", async () => {
    for (const payload of [
      form({ grant_type: "client_credentials" }),
      form({ grant_type: "password", username: "x" }),
    ]) {
      const answer = await post(payload);
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error).toBe("unsupported_grant_type");
    }
  });

  it("answers client authentication (HTTP Basic, client_secret) with 401 invalid_client and a Basic challenge", async () => {
    const basic = await post(form({ grant_type: EXCHANGE, subject_token: pat, subject_token_type: ACCESS }), {
      authorization: `Basic ${Buffer.from("client:secret").toString("base64")}`,
    });
    expect(basic.statusCode).toBe(401);
    expect(basic.json().error).toBe("invalid_client");
    expect(basic.headers["www-authenticate"]).toMatch(/^Basic/);
    const secret = await exchange({ client_id: "c", client_secret: "s" });
    expect(secret.statusCode).toBe(401);
    expect(secret.json().error).toBe("invalid_client");
  });

  it("never echoes client input in error_description, and keeps to the allowed characters", async () => {
    const answers = [
      await exchange({ scope: 'café "q" back\\slash <b>' }),
      await exchange({ audience: 'évil"aud' }),
      await post(form({ grant_type: 'weird"grant\\é' })),
      await issuer.app.inject({ url: `/no/such/${pat}` }),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBeGreaterThanOrEqual(400);
      const { error_description: description } = answer.json();
      expect(description).toMatch(SAFE_DESCRIPTION);
      for (const echoed of ["café", "<b>", "évil", "weird", pat]) expect(description).not.toContain(echoed);
    }
  });

  it("omits scope (response, JWT, introspection) for a PAT with no roles, instead of an empty one", async () => {
    const bare = (await issuer.store.issue({ owner: "bare" })).token;
    const answer = await post(form({ grant_type: EXCHANGE, subject_token: bare, subject_token_type: ACCESS }));
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).not.toHaveProperty("scope");
    const jwt = answer.json().access_token as string;
    expect(decodeJwt(jwt)).not.toHaveProperty("scope");
    const introspected = await issuer.app.inject({
      method: "POST",
      url: "/introspect",
      headers: { authorization: `Bearer ${await issuer.adminJwt()}` },
      payload: { token: jwt },
    });
    expect(introspected.json()).toMatchObject({ active: true });
    expect(introspected.json()).not.toHaveProperty("scope");
  });

  it("takes RFC 8707 resource as the audience, and refuses two targets with invalid_target", async () => {
    const billing = await exchange({ resource: "billing" });
    expect(billing.statusCode).toBe(200);
    expect(decodeJwt(billing.json().access_token).aud).toBe("billing");
    const targets: Record<string, string | string[]>[] = [
      { resource: "https://elsewhere.example" },
      { audience: ["patgate", "billing"] },
      { audience: "patgate", resource: "billing" },
    ];
    for (const extra of targets) {
      const answer = await exchange(extra);
      expect(answer.statusCode).toBe(400);
      expect(answer.json().error).toBe("invalid_target");
    }
  });

  it("answers GET with 405 and Allow: POST", async () => {
    const answer = await issuer.app.inject({ url: "/token" });
    expect(answer.statusCode).toBe(405);
    expect(answer.headers.allow).toBe("POST");
  });

  it("does not list a client-assertion signing algorithm in its metadata", async () => {
    const metadata = (await issuer.app.inject({ url: "/.well-known/oauth-authorization-server" })).json();
    expect(metadata).not.toHaveProperty("token_endpoint_auth_signing_alg_values_supported");
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(["none"]);
  });
});
