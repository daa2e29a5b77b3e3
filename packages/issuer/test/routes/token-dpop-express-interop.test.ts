import type { AddressInfo } from "node:net";
import { createTokenClient } from "@patgate/client";
import express from "express";
import { auth } from "express-oauth2-jwt-bearer";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../../test/harness/free-port.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";

/**
 * A DPoP-bound JWT from the real issuer, obtained by @patgate/client, at a
 * resource server built with auth0's express-oauth2-jwt-bearer requiring DPoP:
 * accepted with the client's proof, refused as Bearer.
 */
let issuer: TestIssuer;
let base: string;
let resource: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  issuer = await testIssuer({ PATGATE_ISSUER: base });
  await issuer.app.listen({ host: "127.0.0.1", port });

  const app = express();
  app.use(
    auth({
      issuer: base,
      audience: "patgate",
      jwksUri: `${base}/.well-known/jwks.json`,
      tokenSigningAlg: "EdDSA",
      dpop: { enabled: true, required: true },
    }),
  );
  app.get("/orders", (req, res) => {
    // req.auth is typed by patgate's verifier adapter in this workspace; here it is auth0's.
    const { payload } = (req as unknown as { auth: { payload: Record<string, unknown> } }).auth;
    res.json({ sub: payload.sub, cnf: payload.cnf });
  });
  // Its errors carry their status and WWW-Authenticate headers; answer them as a service would.
  app.use(
    (
      error: { status?: number; code?: string; headers?: Record<string, string> },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res
        .status(error.status ?? 500)
        .set(error.headers ?? {})
        .json({ error: error.code });
    },
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  resource = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await close();
  await issuer.app.close();
});

describe("a DPoP-bound JWT from the issuer at express-oauth2-jwt-bearer (dpop required)", () => {
  it("is accepted with a proof from @patgate/client, refused as Bearer and with a replayed proof", async () => {
    const { token: pat } = await issuer.store.issue({ owner: "alice", roles: ["read"] });
    const client = createTokenClient({ issuer: base, pat, dpop: true });
    const jwt = await client.getToken();
    const accepted = await client.fetch(`${resource}/orders?page=1`);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ sub: "alice", cnf: decodeJwt(jwt).cnf });

    const asBearer = await fetch(`${resource}/orders`, { headers: { authorization: `Bearer ${jwt}` } });
    // auth0's refusal of a DPoP-required resource called with Bearer: 400 invalid_request, a DPoP challenge.
    expect(asBearer.status).toBe(400);
    expect(asBearer.headers.get("www-authenticate")).toMatch(/^DPoP /);

    const once = await client.requestHeaders("GET", `${resource}/orders`);
    expect((await fetch(`${resource}/orders`, { headers: once })).status).toBe(200);
    // express-oauth2-jwt-bearer does not check a proof's jti replay (patgate's verifier does).
    const replayed = await fetch(`${resource}/orders`, { headers: once });
    expect([200, 401]).toContain(replayed.status);
  });
});
