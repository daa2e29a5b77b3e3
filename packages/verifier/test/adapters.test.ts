import type { AddressInfo } from "node:net";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { redisUrl, uniqueName } from "../../../test/harness/context.js";
import { until } from "../../../test/harness/until.js";
import { requireRoles as expressRoles, patgateAuth, patgateErrorHandler } from "../src/adapters/express.js";
import { requireRoles as fastifyRoles, patgate } from "../src/adapters/fastify.js";
import { type AuthContext, createMemoryDenyList, createVerifier, type Verifier } from "../src/index.js";
import { AUDIENCE, claims, ISSUER, makeKey, NOW, sign, type TestKey } from "./fixtures.js";

let key: TestKey;
let verifier: Verifier;
let fastify: FastifyInstance;
let expressUrl: string;
let closeExpress: () => Promise<void>;
const denyList = createMemoryDenyList();

beforeAll(async () => {
  key = await makeKey("EdDSA");
  verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    denyList,
    now: () => NOW * 1000,
  });

  fastify = Fastify();
  await fastify.register(patgate, { verifier });
  fastify.get("/me", async (request) => ({ sub: request.auth?.sub, roles: request.auth?.roles }));
  fastify.get("/admin", { preHandler: fastifyRoles("admin") }, async () => ({ ok: true }));
  fastify.get("/public", { config: { auth: false } }, async (request) => ({ auth: request.auth }));
  await fastify.ready();

  const app = express();
  app.get("/public", (_req, res) => {
    res.json({ ok: true });
  });
  app.use(patgateAuth({ verifier }));
  app.get("/me", (req, res) => {
    res.json({ sub: req.auth?.sub, roles: req.auth?.roles });
  });
  app.get("/admin", expressRoles("admin"), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(patgateErrorHandler());
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  expressUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeExpress = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await fastify.close();
  await closeExpress();
});

interface Answer {
  status: number;
  challenge: string | undefined;
  body: { error?: string; error_description?: string; sub?: string };
}

const adapters: [string, (path: string, authorization?: string) => Promise<Answer>][] = [
  [
    "fastify",
    async (path, authorization) => {
      const response = await fastify.inject({
        url: path,
        headers: authorization === undefined ? {} : { authorization },
      });
      return {
        status: response.statusCode,
        challenge: response.headers["www-authenticate"] as string | undefined,
        body: response.json(),
      };
    },
  ],
  [
    "express",
    async (path, authorization) => {
      const response = await fetch(`${expressUrl}${path}`, {
        headers: authorization === undefined ? {} : { authorization },
      });
      return {
        status: response.status,
        challenge: response.headers.get("www-authenticate") ?? undefined,
        body: (await response.json()) as Answer["body"],
      };
    },
  ],
];

describe.each(adapters)("the %s adapter", (_name, get) => {
  it("lets a valid token through and sets auth", async () => {
    const answer = await get("/me", `Bearer ${await sign(key)}`);
    expect(answer).toMatchObject({ status: 200, body: { sub: "alice", roles: ["read", "write"] } });
    expect((await get("/me", `bearer ${await sign(key)}`)).status).toBe(200);
  });

  it("serves a reused token from the verifier's cache, with the same answer", async () => {
    const token = await sign(key, claims({ sub: `reused-${_name}` }));
    expect(verifier.verifyCached(token)).toBeUndefined();
    const first = await get("/me", `Bearer ${token}`);
    expect(verifier.verifyCached(token)?.sub).toBe(`reused-${_name}`);
    expect(await get("/me", `Bearer ${token}`)).toEqual(first);
    expect(first).toMatchObject({ status: 200, body: { sub: `reused-${_name}` } });
  });

  it("finds a cached token whatever the header's spelling, and nothing the full parse would refuse", async () => {
    const token = await sign(key, claims({ sub: `spelled-${_name}` }));
    expect((await get("/me", `Bearer ${token}`)).status).toBe(200);
    for (const header of [`bearer ${token}`, `Bearer  ${token}`, `Bearer ${token} `, `BEARER ${token}`])
      expect(await get("/me", header)).toMatchObject({ status: 200, body: { sub: `spelled-${_name}` } });
    expect((await get("/me", `Bearer ${token} extra`)).status).toBe(400);
    expect((await get("/me", `Bearer ${token}x`)).status).toBe(401);
  });

  it("answers a missing token with 401 and a bare Bearer challenge", async () => {
    const answer = await get("/me");
    expect(answer.status).toBe(401);
    expect(answer.challenge).toBe("Bearer");
  });

  it.each([["Basic dXNlcjpwYXNz"], ["Bearer"], ["Bearer "], ["Bearer a b"], ["Token abc"]])(
    "answers the malformed header %j with 400 invalid_request",
    async (header) => {
      const answer = await get("/me", header);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe("invalid_request");
    },
  );

  it.each([
    [
      "tampered",
      async () =>
        (await sign(key)).replace(
          /\.[^.]+\./,
          `.${Buffer.from(JSON.stringify(claims({ roles: ["admin"] }))).toString("base64url")}.`,
        ),
      "invalid_signature",
    ],
    ["expired", () => sign(key, claims({ exp: NOW - 100 })), "token_expired"],
    ["wrong audience", () => sign(key, claims({ aud: "other" })), "invalid_audience"],
    ["wrong typ", () => sign(key, claims(), { typ: "JWT" }), "invalid_typ"],
    ["unknown kid", () => sign({ ...key, kid: "nope" }), "unknown_kid"],
    ["garbage", async () => "x.y.z", "token_malformed"],
  ])("answers a %s token with 401 invalid_token", async (_label, make, _code) => {
    const answer = await get("/me", `Bearer ${await make()}`);
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe("invalid_token");
    expect(answer.challenge).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
  });

  it("answers a denied jti and a denied owner with 401", async () => {
    const jtiToken = await sign(key, claims({ jti: `denied-${_name}` }));
    const subToken = await sign(key, claims({ sub: `gone-${_name}` }));
    expect((await get("/me", `Bearer ${jtiToken}`)).status).toBe(200);
    denyList.add({ kind: "jti", value: `denied-${_name}`, expiresAt: NOW + 300 });
    denyList.add({ kind: "sub", value: `gone-${_name}`, minRev: 1, expiresAt: NOW + 300 });
    expect((await get("/me", `Bearer ${jtiToken}`)).body.error).toBe("invalid_token");
    expect((await get("/me", `Bearer ${subToken}`)).status).toBe(401);
  });

  it("answers a missing role with 403 insufficient_scope naming it", async () => {
    const answer = await get("/admin", `Bearer ${await sign(key)}`);
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("insufficient_scope");
    expect(answer.challenge).toMatch(/error="insufficient_scope"/);
    expect(answer.challenge).toMatch(/scope="admin"/);
    expect((await get("/admin", `Bearer ${await sign(key, claims({ roles: ["admin"] }))}`)).status).toBe(200);
  });

  it("leaves public routes open", async () => {
    expect((await get("/public")).status).toBe(200);
  });
});

describe("the Fastify plugin, made with fastify-plugin", () => {
  it("decorates the instance that registers it, under its name and with its Fastify range", async () => {
    expect(fastify.hasPlugin("@patgate/verifier")).toBe(true);
    expect(fastify.hasDecorator("authenticate")).toBe(true);
    const meta = (patgate as unknown as Record<symbol, unknown>)[Symbol.for("plugin-meta")];
    expect(meta).toEqual({ name: "@patgate/verifier", fastify: "5.x" });
  });

  it("authenticates routes registered beside it, not only inside it (no encapsulation)", async () => {
    const app = Fastify();
    await app.register(patgate, { verifier });
    await app.register(async (child) => {
      child.get("/inside", async (request) => ({ sub: request.auth?.sub }));
    });
    const anonymous = await app.inject({ url: "/inside" });
    expect(anonymous.statusCode).toBe(401);
    const signed = await app.inject({ url: "/inside", headers: { authorization: `Bearer ${await sign(key)}` } });
    expect(signed.json()).toEqual({ sub: "alice" });
    await app.close();
  });
});

describe("closing the Express middleware's verifier", () => {
  /** Connections the harness Redis holds open right now. */
  async function connections(): Promise<number> {
    const redis = new Redis(redisUrl());
    try {
      return (
        String(await redis.client("LIST"))
          .trim()
          .split("\n").length - 1
      );
    } finally {
      redis.disconnect();
    }
  }

  it("closes the verifier it built (its Redis follower) on close(), and leaves a given one open", async () => {
    const before = await connections();
    const auth = patgateAuth({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      denyList: { redis: redisUrl(), keyPrefix: uniqueName("express-close") },
      logger: false,
      now: () => NOW * 1000,
    });
    await until(async () => (await connections()) > before, { message: "the follower connects" });
    await auth.close();
    await until(async () => (await connections()) === before, { message: "the follower's connections close" });
    await auth.close(); // idempotent
    let closed = false;
    const close = async () => {
      closed = true;
    };
    const given = patgateAuth({ verifier: { ...verifier, close } });
    await given.close();
    expect(closed).toBe(false);
  });
});

describe("JWKS down through the adapters", () => {
  it("answers 503 with Retry-After", async () => {
    const down = Fastify();
    await down.register(patgate, { issuer: ISSUER, audience: AUDIENCE, jwksUri: "http://127.0.0.1:1/jwks.json" });
    down.get("/me", async () => ({}));
    const response = await down.inject({ url: "/me", headers: { authorization: `Bearer ${await sign(key)}` } });
    expect(response.statusCode).toBe(503);
    expect(response.headers["retry-after"]).toBe("5");
    expect(response.json().error).toBe("temporarily_unavailable");
    await down.close();
  });
});

describe("types", () => {
  it("types request.auth and req.auth", () => {
    expectTypeOf<import("fastify").FastifyRequest["auth"]>().toEqualTypeOf<AuthContext | null>();
    expectTypeOf<import("express").Request["auth"]>().toEqualTypeOf<AuthContext | null | undefined>();
  });
});

describe("the cache's shortcut to a bearer token", () => {
  it("takes only the one common spelling, and leaves anything else to the full parse", async () => {
    const { commonBearer } = await import("../src/adapters/http-auth.js");
    expect(commonBearer("Bearer a.b.c")).toBe("a.b.c");
    for (const header of ["bearer a.b.c", "Bearer a.b.c==", "Bearer a=.b.c", "Basic a", undefined])
      expect(commonBearer(header)).toBeUndefined();
    expect(commonBearer(["Bearer a.b.c", "Bearer d.e.f"])).toBeUndefined();
  });
});
