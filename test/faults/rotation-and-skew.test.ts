import { mkdtemp } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier } from "@patgate/verifier";
import { patgate } from "@patgate/verifier/fastify";
import Fastify from "fastify";
import { afterAll, describe, expect, it } from "vitest";
import { loadSigningKeys } from "../../packages/issuer/src/jwt/signing-keys.js";
import { testIssuer } from "../../packages/issuer/test/app-fixture.js";

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

describe("key rotation under load", () => {
  it("fails no verification across three rotations, for a verifier following the JWKS over HTTP", async () => {
    let clock = Date.now();
    const now = () => clock;
    // The issuer's real rotation timing: a new key is published at once and signs 120 s later.
    const dir = await mkdtemp(join(tmpdir(), "patgate-rotation-"));
    const keys = await loadSigningKeys({ path: join(dir, "signing-keys.json"), generate: true, jwtTtlSeconds: 300 });
    const issuer = await testIssuer({ PATGATE_JWT_TTL: "300" }, { now, keys });
    await issuer.app.listen({ port: 0, host: "127.0.0.1" });
    closers.push(() => issuer.app.close());
    const { port } = issuer.app.server.address() as AddressInfo;
    const verifier = createVerifier({
      issuer: issuer.config.issuer,
      audience: "patgate",
      jwksUri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      now,
    });
    closers.push(() => verifier.close());
    const { token } = await issuer.store.issue({ owner: "rotating", roles: ["read"] });

    const kids = new Set<string>();
    let failures = 0;
    let verified = 0;
    for (let step = 0; step < 60; step++) {
      // Each rotated-in key signs 120 s (12 steps) after it is published.
      if (step === 5 || step === 20 || step === 35) await keys.rotate(Math.floor(clock / 1000));
      // Eight clients exchange and call a service at once; the clock moves 10 s per step.
      const jwts = await Promise.all(Array.from({ length: 8 }, () => issuer.exchange(token)));
      const results = await Promise.allSettled(jwts.map((jwt) => verifier.verify(jwt)));
      for (const result of results) {
        if (result.status === "fulfilled") verified += 1;
        else failures += 1;
      }
      for (const jwt of jwts) kids.add(JSON.parse(Buffer.from(jwt.split(".")[0] ?? "", "base64url").toString()).kid);
      clock += 10_000;
    }
    expect(kids.size).toBe(4); // the first key and three rotated in, each of which signed
    expect(verified).toBe(480);
    expect(failures).toBe(0);
  });
});

describe("key rotation with no traffic", () => {
  it("answers the first request signed with a new key without a 401, though the verifier's JWKS went stale meanwhile", async () => {
    let clock = Date.now();
    const now = () => clock;
    const dir = await mkdtemp(join(tmpdir(), "patgate-quiet-rotation-"));
    const keys = await loadSigningKeys({ path: join(dir, "signing-keys.json"), generate: true, jwtTtlSeconds: 300 });
    const issuer = await testIssuer({ PATGATE_JWT_TTL: "300" }, { now, keys });
    await issuer.app.listen({ port: 0, host: "127.0.0.1" });
    closers.push(() => issuer.app.close());
    const { port } = issuer.app.server.address() as AddressInfo;
    // A service behind the Fastify adapter, following the issuer's JWKS over HTTP (max-age 60 s).
    const verifier = createVerifier({
      issuer: issuer.config.issuer,
      audience: "patgate",
      jwksUri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      now,
    });
    const service = Fastify();
    await service.register(patgate, { verifier });
    service.get("/whoami", (request) => ({ sub: request.auth?.sub }));
    closers.push(
      () => service.close(),
      () => verifier.close(),
    );
    const call = async () => {
      const jwt = await issuer.exchange(token);
      const response = await service.inject({ url: "/whoami", headers: { authorization: `Bearer ${jwt}` } });
      return { kid: JSON.parse(Buffer.from(jwt.split(".")[0] ?? "", "base64url").toString()).kid, response };
    };
    const { token } = await issuer.store.issue({ owner: "quiet", roles: ["read"] });

    const before = await call(); // the JWKS is fetched and cached
    expect(before.response.statusCode).toBe(200);
    const rotated = await keys.rotate(Math.floor(clock / 1000));
    // Nothing is verified until the new key signs (120 s later): the cached JWKS is 60 s past its max-age.
    clock = (rotated.activatesAt + 1) * 1000;
    const first = await call();
    expect(first.kid).toBe(rotated.kid);
    expect(first.response.statusCode).toBe(200);
    expect(first.response.json()).toEqual({ sub: "quiet" });
  });
});

describe("clock skew", () => {
  it("accepts a token from an issuer whose clock is a few seconds off, within clockTolerance", async () => {
    const issuerClock = Date.now();
    const issuer = await testIssuer({}, { now: () => issuerClock });
    const jwks = (await issuer.app.inject({ url: "/.well-known/jwks.json" })).json();
    const { token } = await issuer.store.issue({ owner: "skewed" });
    const jwt = await issuer.exchange(token);
    const at = (offsetMs: number) =>
      createVerifier({ issuer: issuer.config.issuer, audience: "patgate", jwks, now: () => issuerClock + offsetMs });
    // The service's clock runs 4 s behind (iat in its future) or the token is 4 s past exp: both tolerated.
    await expect(at(-4_000).verify(jwt)).resolves.toMatchObject({ sub: "skewed" });
    await expect(at(300_000 + 4_000).verify(jwt)).resolves.toMatchObject({ sub: "skewed" });
    // Beyond the tolerance, expiry is enforced.
    await expect(at(300_000 + 6_000).verify(jwt)).rejects.toMatchObject({ code: "token_expired" });
  });
});
