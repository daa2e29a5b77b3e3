import { createVerifier } from "@patgate/verifier";
import { patgate, requireAuthorization } from "@patgate/verifier/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";
import { TYPES, typesFile } from "./types-fixture.js";

/**
 * The whole story: a PAT limited to reading one repository, exchanged at the
 * issuer, presented to a service guarded by requireAuthorization (verifier
 * following the issuer's JWKS): read is served, write and other repositories
 * refused; a narrowing at the admin API then denies the JWT at the service.
 */
let issuer: TestIssuer;
let service: FastifyInstance;

beforeAll(async () => {
  const { store } = await freshStore({ authorizationTypes: TYPES });
  issuer = await testIssuer({ PATGATE_AUTHORIZATION_TYPES: await typesFile() }, { store });
  const jwks = (await issuer.app.inject({ url: "/.well-known/jwks.json" })).json();
  const verifier = createVerifier({ issuer: ISSUER, audience: "patgate", jwks });
  service = Fastify();
  await service.register(patgate, { verifier });
  const repo = (request: { params: unknown }) => {
    const { owner, name } = request.params as { owner: string; name: string };
    return `${owner}/${name}`;
  };
  const guard = (action: string) => requireAuthorization({ type: "repository", action, location: repo });
  service.get("/repos/:owner/:name", { preHandler: guard("read") }, async () => ({ content: "…" }));
  service.put("/repos/:owner/:name", { preHandler: guard("write") }, async () => ({ saved: true }));
  await service.ready();
});
afterAll(async () => {
  await service.close();
  await issuer.app.close();
});

describe("a PAT limited to reading one repository", () => {
  it("is served a read there, refused a write and other repositories", async () => {
    const { token } = await issuer.store.issue({
      owner: "ci-bot",
      authorizationDetails: [{ type: "repository", actions: ["read"], locations: ["acme/api"] }],
    });
    const jwt = await issuer.exchange(token);
    const call = (method: "GET" | "PUT", url: string) =>
      service.inject({ method, url, headers: { authorization: `Bearer ${jwt}` } });
    expect((await call("GET", "/repos/acme/api")).statusCode).toBe(200);
    const write = await call("PUT", "/repos/acme/api");
    expect(write.statusCode).toBe(403);
    expect(write.headers["www-authenticate"]).toMatch(/error="insufficient_scope"/);
    expect((await call("GET", "/repos/acme/web")).statusCode).toBe(403);
  });

  it("narrowed at /token to one repository of two, reads only that one", async () => {
    const { token } = await issuer.store.issue({
      owner: "ci-bot",
      authorizationDetails: [{ type: "repository", actions: ["read", "write"], locations: ["acme/api", "acme/web"] }],
    });
    const jwt = await issuer.exchange(token, {
      authorization_details: JSON.stringify([{ type: "repository", actions: ["read"], locations: ["acme/web"] }]),
    });
    const call = (method: "GET" | "PUT", url: string) =>
      service.inject({ method, url, headers: { authorization: `Bearer ${jwt}` } });
    expect((await call("GET", "/repos/acme/web")).statusCode).toBe(200);
    expect((await call("GET", "/repos/acme/api")).statusCode).toBe(403);
    expect((await call("PUT", "/repos/acme/web")).statusCode).toBe(403);
  });
});
