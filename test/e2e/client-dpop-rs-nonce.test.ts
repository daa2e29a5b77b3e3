import type { AddressInfo } from "node:net";
import { createTokenClient } from "@patgate/client";
import { patgateAuth, patgateErrorHandler } from "@patgate/verifier/express";
import { patgate } from "@patgate/verifier/fastify";
import express from "express";
import Fastify from "fastify";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestIssuer, testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { freePort } from "../harness/free-port.js";

/**
 * @patgate/client's `client.fetch` against resource servers whose verifier
 * demands its own nonces (`dpop: { nonce }`, RFC 9449 §9), with the real
 * issuer (its nonces on too): the client retries each server's
 * `use_dpop_nonce` once and keeps the nonce for the next calls.
 */
let issuer: TestIssuer;
let base: string;
const servers: Record<"fastify" | "express", string> = { fastify: "", express: "" };
const closers: Array<() => Promise<unknown>> = [];
/** Every request the client made, as "METHOD url [nonce]". */
const seen: string[] = [];

const recordingFetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const proof = new Headers(init?.headers).get("dpop");
  const nonce = proof === null ? undefined : decodeJwt(proof).nonce;
  seen.push(`${init?.method ?? "GET"} ${String(url)}${nonce === undefined ? "" : " nonce"}`);
  return fetch(url, init);
};

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  issuer = await testIssuer({ PATGATE_ISSUER: base, PATGATE_DPOP_NONCE: "on" });
  await issuer.app.listen({ host: "127.0.0.1", port });
  closers.push(() => issuer.app.close());
  const options = {
    issuer: base,
    audience: "patgate",
    jwksUri: `${base}/.well-known/jwks.json`,
    dpop: { nonce: { secret: "resource-servers-shared-nonce-secret-42" } },
  };

  const fastify = Fastify();
  await fastify.register(patgate, options);
  fastify.post("/orders", async (request) => ({ sub: request.auth?.sub }));
  await fastify.listen({ host: "127.0.0.1", port: 0 });
  closers.push(() => fastify.close());
  servers.fastify = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;

  const app = express();
  app.use(patgateAuth(options));
  app.get("/me", (req, res) => {
    res.json({ sub: req.auth?.sub });
  });
  app.use(patgateErrorHandler());
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  servers.express = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe("client.fetch against verifiers demanding resource-server nonces", () => {
  it("retries each server's use_dpop_nonce once, then sends its nonce on every call (Fastify and Express)", async () => {
    const { token: pat } = await issuer.store.issue({ owner: "alice", roles: ["read"] });
    const client = createTokenClient({ issuer: base, pat, dpop: true, fetch: recordingFetch });
    await client.getToken();

    seen.length = 0;
    for (let i = 0; i < 2; i++) {
      const response = await client.fetch(`${servers.fastify}/orders?page=${i}`, { method: "POST", body: "{}" });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: "alice" });
    }
    expect(seen).toEqual([
      `POST ${servers.fastify}/orders?page=0`,
      `POST ${servers.fastify}/orders?page=0 nonce`,
      `POST ${servers.fastify}/orders?page=1 nonce`,
    ]);

    seen.length = 0;
    for (let i = 0; i < 2; i++) expect((await client.fetch(`${servers.express}/me`)).status).toBe(200);
    expect(seen).toEqual([
      `GET ${servers.express}/me`,
      `GET ${servers.express}/me nonce`,
      `GET ${servers.express}/me nonce`,
    ]);
  });

  it("without the retry a nonce-less call is a 401 use_dpop_nonce carrying a DPoP-Nonce", async () => {
    const { token: pat } = await issuer.store.issue({ owner: "alice", roles: ["read"] });
    const client = createTokenClient({ issuer: base, pat, dpop: true });
    const headers = await client.requestHeaders("GET", `${servers.express}/me`);
    const answer = await fetch(`${servers.express}/me`, { headers: headers as Record<string, string> });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toMatch(/^DPoP error="use_dpop_nonce"/);
    expect(answer.headers.get("dpop-nonce")).toBeTruthy();
    expect(await answer.json()).toMatchObject({ error: "use_dpop_nonce" });
  });
});
