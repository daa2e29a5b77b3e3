import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminCall, expectError, ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";
import { TYPES, typesFile } from "../authorization/types-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";

/**
 * RFC 9396 through the real issuer: PATs created with details at the admin
 * API, narrowed at /token (form through oauth4webapi, and JSON), the JWT's
 * claim checked with jose, /introspect, and a narrowing at the admin API
 * denying the JWTs minted before it.
 */
const EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
const API_READ_WRITE = { type: "repository", actions: ["read", "write"], locations: ["acme/api", "acme/web"] };
const BILLING = { type: "billing", actions: ["read"], identifier: "acct-7" };

let issuer: TestIssuer;
let admin: string;
let pat: string;
let tokenId: string;

/** Lets oauth4webapi talk to the app in process. */
const throughApp = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const url = new URL(input instanceof Request ? input.url : input);
  const headers = Object.fromEntries(new Headers(init?.headers).entries());
  const answer = await issuer.app.inject({
    method: (init?.method ?? "GET") as "GET" | "POST",
    url: url.pathname,
    headers,
    ...(init?.body === undefined ? {} : { payload: String(init.body) }),
  });
  return new Response(answer.body, { status: answer.statusCode, headers: answer.headers as Record<string, string> });
};

const as: oauth.AuthorizationServer = { issuer: ISSUER, token_endpoint: `${ISSUER}/token` };
const client: oauth.Client = { client_id: "cli" };

/** A form exchange through oauth4webapi; `authorizationDetails` as the RFC 9396 JSON text. */
async function exchangeWithOauth4webapi(subject: string, authorizationDetails?: unknown) {
  const params = new URLSearchParams({ subject_token: subject, subject_token_type: ACCESS_TOKEN });
  if (authorizationDetails !== undefined) params.set("authorization_details", JSON.stringify(authorizationDetails));
  const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), EXCHANGE, params, {
    [oauth.customFetch]: throughApp,
  });
  return oauth.processGenericTokenEndpointResponse(as, client, response);
}

function jsonExchange(subject: string, extra: Record<string, unknown>) {
  return issuer.app.inject({
    method: "POST",
    url: "/token",
    payload: { grant_type: EXCHANGE, subject_token: subject, subject_token_type: ACCESS_TOKEN, ...extra },
  });
}

async function claimsOf(jwt: string) {
  const jwks = (await issuer.app.inject({ url: "/.well-known/jwks.json" })).json();
  return (await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: ISSUER, typ: "at+jwt" })).payload;
}

beforeAll(async () => {
  const { store } = await freshStore({ authorizationTypes: TYPES });
  issuer = await testIssuer({ PATGATE_AUTHORIZATION_TYPES: await typesFile() }, { store });
  admin = await issuer.adminJwt();
  const created = await adminCall(issuer.app, admin, "POST", "/admin/tokens", {
    owner: "alice",
    roles: ["dev"],
    authorizationDetails: [API_READ_WRITE, BILLING],
  });
  expect(created.statusCode).toBe(201);
  pat = created.json().token;
  tokenId = created.json().record.tokenId;
  expect(created.json().record.authorizationDetails).toEqual([API_READ_WRITE, BILLING]);
});
afterAll(() => issuer.app.close());

describe("authorization details at the issuer", () => {
  it("publishes the declared types in the metadata", async () => {
    const metadata = (await issuer.app.inject({ url: "/.well-known/oauth-authorization-server" })).json();
    expect(metadata.authorization_details_types_supported).toEqual(["repository", "billing", "deployments"]);
  });

  it("grants all of the PAT's details by default, in the response and the JWT", async () => {
    const response = await exchangeWithOauth4webapi(pat);
    expect(response.authorization_details).toEqual([API_READ_WRITE, BILLING]);
    const claims = await claimsOf(response.access_token);
    expect(claims.authorization_details).toEqual([API_READ_WRITE, BILLING]);
    expect(claims.roles).toEqual(["dev"]);
  });

  it("narrows with a form body (oauth4webapi) to what is asked", async () => {
    const asked = [{ type: "repository", actions: ["read"], locations: ["acme/api"] }];
    const response = await exchangeWithOauth4webapi(pat, asked);
    expect(response.authorization_details).toEqual(asked);
    expect((await claimsOf(response.access_token)).authorization_details).toEqual(asked);
  });

  it("narrows with a JSON body (the array itself)", async () => {
    const response = await jsonExchange(pat, { authorization_details: [BILLING] });
    expect(response.statusCode).toBe(200);
    expect(decodeJwt(response.json().access_token).authorization_details).toEqual([BILLING]);
  });

  it.each([
    ["another location", [{ type: "repository", actions: ["read"], locations: ["acme/secret"] }]],
    ["another action", [{ type: "repository", actions: ["admin"], locations: ["acme/api"] }]],
    ["every location", [{ type: "repository", actions: ["read"] }]],
    ["another identifier", [{ type: "billing", actions: ["read"], identifier: "acct-8" }]],
    ["a type the PAT lacks", [{ type: "deployments", actions: ["create"] }]],
  ])("refuses more than the PAT holds (%s) with invalid_authorization_details", async (_what, asked) => {
    const response = await jsonExchange(pat, { authorization_details: asked });
    expectError(response, 400, "invalid_authorization_details", "authorization_details_exceeded");
    expect(response.json().field).toBe("authorization_details[0]");
  });

  it("refuses it through oauth4webapi too, as an OAuth error", async () => {
    const asked = [{ type: "repository", actions: ["write"], locations: ["acme/secret"] }];
    await expect(exchangeWithOauth4webapi(pat, asked)).rejects.toMatchObject({
      error: "invalid_authorization_details",
    });
  });

  it.each([
    ["not JSON", "read acme/api", "authorization_details"],
    [
      "100 kB of JSON",
      JSON.stringify([{ type: "repository", actions: ["read"], locations: ["x".repeat(12_000)] }]),
      "authorization_details",
    ],
    ["an unknown type", JSON.stringify([{ type: "wiki", actions: ["read"] }]), "authorization_details[0].type"],
    ["deep nesting", `${"[".repeat(2000)}${"]".repeat(2000)}`, "authorization_details[0]"],
  ])("refuses %s in a form field, naming the field, before the PAT is checked", async (_what, value, field) => {
    const body = new URLSearchParams({
      grant_type: EXCHANGE,
      subject_token: pat,
      subject_token_type: ACCESS_TOKEN,
      authorization_details: value,
    });
    const response = await issuer.app.inject({
      method: "POST",
      url: "/token",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: body.toString(),
    });
    expectError(response, 400, "invalid_authorization_details", "authorization_details_invalid");
    expect(response.json().field).toBe(field);
  });

  it("refuses 1,000 objects in a JSON body with a 4xx, never a 500", async () => {
    const many = Array.from({ length: 1000 }, () => ({ type: "deployments", actions: ["create"] }));
    const response = await jsonExchange(pat, { authorization_details: many });
    expect([400, 413]).toContain(response.statusCode);
    expect(response.json().error).toBe(
      response.statusCode === 400 ? "invalid_authorization_details" : "invalid_request",
    );
  });

  it("shows the details at /introspect, for the JWT and the PAT", async () => {
    const introspector = await issuer.adminJwt();
    const jwt = (await exchangeWithOauth4webapi(pat, [BILLING])).access_token;
    const introspect = (token: string) =>
      issuer.app.inject({
        method: "POST",
        url: "/introspect",
        headers: { authorization: `Bearer ${introspector}` },
        payload: { token },
      });
    expect((await introspect(jwt)).json()).toMatchObject({ active: true, authorization_details: [BILLING] });
    expect((await introspect(pat)).json()).toMatchObject({
      active: true,
      authorization_details: [API_READ_WRITE, BILLING],
    });
  });

  it("refuses bad details at the admin API, naming the field, storing nothing", async () => {
    const response = await adminCall(issuer.app, admin, "POST", "/admin/tokens", {
      owner: "bob",
      authorizationDetails: [
        { type: "repository", actions: ["read"] },
        { type: "billing", actions: ["read"], locations: ["x"] },
      ],
    });
    expectError(response, 400, "invalid_request", "field_invalid");
    expect(response.json().field).toBe("authorizationDetails[1].locations");
    expect((await issuer.store.list({ owner: "bob" })).items).toEqual([]);
  });

  it("denies JWTs minted before a narrowing, keeps those of a widening", async () => {
    const { token: own } = (
      await adminCall(issuer.app, admin, "POST", "/admin/tokens", {
        owner: "carol",
        authorizationDetails: [API_READ_WRITE],
      })
    ).json();
    const check = async (jwt: string) =>
      (
        await issuer.app.inject({
          method: "POST",
          url: "/introspect",
          headers: { authorization: `Bearer ${admin}` },
          payload: { token: jwt },
        })
      ).json().active;
    const id = decodeJwt(await issuer.exchange(own)).client_id as string;
    const before = await issuer.exchange(own);
    const widened = await adminCall(issuer.app, admin, "PATCH", `/admin/tokens/${id}`, {
      authorizationDetails: [API_READ_WRITE, BILLING],
    });
    expect(widened.statusCode).toBe(200);
    expect(await check(before)).toBe(true);
    const narrowed = await adminCall(issuer.app, admin, "PATCH", `/admin/tokens/${id}`, {
      authorizationDetails: [{ type: "repository", actions: ["read"], locations: ["acme/api"] }],
    });
    expect(narrowed.statusCode).toBe(200);
    expect(narrowed.json().record.authorizationDetails).toEqual([
      { type: "repository", actions: ["read"], locations: ["acme/api"] },
    ]);
    expect(await check(before)).toBe(false);
    const after = await issuer.exchange(own);
    expect(decodeJwt(after).authorization_details).toEqual([
      { type: "repository", actions: ["read"], locations: ["acme/api"] },
    ]);
    const removed = await adminCall(issuer.app, admin, "PATCH", `/admin/tokens/${id}`, { authorizationDetails: null });
    expect(removed.json().record.authorizationDetails).toBeUndefined();
    expect(await check(after)).toBe(false);
    expect(decodeJwt(await issuer.exchange(own)).authorization_details).toBeUndefined();
  });

  it("records the change on the audit trail and the created record", () => {
    expect(issuer.audit.some((line) => line.action === "token.create" && line.tokenId === tokenId)).toBe(true);
  });
});
