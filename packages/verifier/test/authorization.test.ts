import type { AddressInfo } from "node:net";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  requireAuthorization as expressAuthorization,
  patgateAuth,
  patgateErrorHandler,
} from "../src/adapters/express.js";
import { requireAuthorization as fastifyAuthorization, patgate } from "../src/adapters/fastify.js";
import { allowsCheck, createVerifier, type Verifier } from "../src/index.js";
import { AUDIENCE, claims, ISSUER, makeKey, NOW, sign, type TestKey } from "./fixtures.js";

/**
 * RFC 9396 guards through real Fastify and Express servers listening on
 * ports: a JWT allowed to read acme/api is served there, refused a write,
 * refused elsewhere, with RFC 6750 403 `insufficient_scope` answers.
 */
let key: TestKey;
let verifier: Verifier;
let fastify: FastifyInstance;
const urls: Record<string, string> = {};
let closeExpress: () => Promise<void>;

const READ_API = [{ type: "repository", actions: ["read"], locations: ["acme/api"] }];
const token = (details?: unknown) =>
  sign(key, claims(details === undefined ? {} : { authorization_details: details as never }));

beforeAll(async () => {
  key = await makeKey("EdDSA");
  verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    now: () => NOW * 1000,
  });

  fastify = Fastify();
  await fastify.register(patgate, { verifier });
  const repo = (request: { params: unknown }) => {
    const { owner, name } = request.params as { owner: string; name: string };
    return `${owner}/${name}`;
  };
  fastify.get(
    "/repos/:owner/:name",
    { preHandler: fastifyAuthorization({ type: "repository", action: "read", location: repo }) },
    async () => ({ ok: true }),
  );
  fastify.put(
    "/repos/:owner/:name",
    { preHandler: fastifyAuthorization({ type: "repository", action: "write", location: repo }) },
    async () => ({ ok: true }),
  );
  fastify.get("/repos", { preHandler: fastifyAuthorization({ type: "repository", action: "read" }) }, async () => ({
    ok: true,
  }));
  fastify.get("/can-write/:owner/:name", async (request) => ({
    write: request.auth?.allows({ type: "repository", action: "write", location: repo(request) }),
    read: request.auth?.allows({ type: "repository", action: "read", location: repo(request) }),
  }));
  await fastify.listen({ port: 0, host: "127.0.0.1" });
  urls.fastify = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;

  const app = express();
  app.use(patgateAuth({ verifier }));
  const expressRepo = (req: express.Request) => `${req.params.owner}/${req.params.name}`;
  app.get(
    "/repos/:owner/:name",
    expressAuthorization({ type: "repository", action: "read", location: expressRepo }),
    (_req, res) => {
      res.json({ ok: true });
    },
  );
  app.put(
    "/repos/:owner/:name",
    expressAuthorization({ type: "repository", action: "write", location: expressRepo }),
    (_req, res) => {
      res.json({ ok: true });
    },
  );
  app.get("/repos", expressAuthorization({ type: "repository", action: "read" }), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(patgateErrorHandler());
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  urls.express = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeExpress = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await fastify.close();
  await closeExpress();
});

describe.each(["fastify", "express"])("requireAuthorization with %s", (adapter) => {
  const call = async (method: string, path: string, jwt?: string) => {
    const response = await fetch(`${urls[adapter]}${path}`, {
      method,
      headers: jwt === undefined ? {} : { authorization: `Bearer ${jwt}` },
    });
    return {
      status: response.status,
      challenge: response.headers.get("www-authenticate"),
      body: (await response.json()) as { error?: string; ok?: boolean },
    };
  };

  it("serves a read of the one repository the token may read", async () => {
    expect(await call("GET", "/repos/acme/api", await token(READ_API))).toMatchObject({
      status: 200,
      body: { ok: true },
    });
  });

  it.each([
    ["a write there", "PUT", "/repos/acme/api"],
    ["a read of another repository", "GET", "/repos/acme/web"],
    ["a prefix of it", "GET", "/repos/acme/ap"],
    ["every repository", "GET", "/repos"],
  ])("refuses %s with 403 insufficient_scope (RFC 6750)", async (_what, method, path) => {
    const answer = await call(method, path, await token(READ_API));
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("insufficient_scope");
    expect(answer.challenge).toMatch(/^Bearer error="insufficient_scope", error_description="[^"]+"$/);
  });

  it("refuses a token without the claim, or with a malformed one", async () => {
    expect((await call("GET", "/repos/acme/api", await token())).status).toBe(403);
    expect((await call("GET", "/repos/acme/api", await token({ type: "repository" }))).status).toBe(403);
    expect((await call("GET", "/repos/acme/api", await token([{ type: "repository", actions: "read" }]))).status).toBe(
      403,
    );
  });

  it("lets a detail without locations read everywhere, and answers 401 without a token", async () => {
    const anywhere = await token([{ type: "repository", actions: ["read"] }]);
    expect((await call("GET", "/repos/acme/web", anywhere)).status).toBe(200);
    expect((await call("GET", "/repos", anywhere)).status).toBe(200);
    expect((await call("GET", "/repos/acme/api")).status).toBe(401);
  });
});

describe("auth.allows and allowsCheck", () => {
  it("answers in code what the guards answer", async () => {
    const response = await fetch(`${urls.fastify}/can-write/acme/api`, {
      headers: { authorization: `Bearer ${await token(READ_API)}` },
    });
    expect(await response.json()).toEqual({ write: false, read: true });
  });

  it("matches identifiers exactly and ignores other types", () => {
    const claim = [{ type: "billing", actions: ["read"], identifier: "acct-7" }];
    expect(allowsCheck(claim, { type: "billing", action: "read", identifier: "acct-7" })).toBe(true);
    expect(allowsCheck(claim, { type: "billing", action: "read", identifier: "ACCT-7" })).toBe(false);
    expect(allowsCheck(claim, { type: "billing", action: "read" })).toBe(false);
    expect(allowsCheck(claim, { type: "repository", action: "read", identifier: "acct-7" })).toBe(false);
    expect(allowsCheck("not an array", { type: "billing", action: "read" })).toBe(false);
  });

  it("keeps the context a plain record: allows is not enumerable", async () => {
    const auth = await verifier.verify(await token(READ_API));
    expect(Object.keys(auth)).not.toContain("allows");
    const { allows } = auth;
    expect(allows({ type: "repository", action: "read", location: "acme/api" })).toBe(true);
  });

  it("refuses a bad requirement when the guard is made", () => {
    expect(() => fastifyAuthorization({ type: "", action: "read" })).toThrow(TypeError);
    expect(() => expressAuthorization({ type: "repository", action: "read", location: 42 as never })).toThrow(
      TypeError,
    );
  });
});
