import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { ISSUER, testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { type HeldThreadPool, holdThreadPool } from "../harness/thread-pool.js";

/** `promise`, or a rejection naming `what` once `ms` have passed. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

// A flood of forged PATs keeps libuv's four threads busy with scrypt. Here the
// pool is held outright, so whatever still needs it waits for good: a warm
// exchange and the JWKS must need none of it.
describe("with every thread of the libuv pool busy (a scrypt flood)", () => {
  let pool: HeldThreadPool | undefined;
  afterEach(async () => {
    await pool?.release();
    pool = undefined;
  });

  it("the JWKS is served from memory", async () => {
    const issuer = await testIssuer();
    const before = await issuer.app.inject({ url: "/.well-known/jwks.json" });
    pool = await holdThreadPool();
    const during = await within(2000, "the JWKS", issuer.app.inject({ url: "/.well-known/jwks.json" }));
    expect(during.statusCode).toBe(200);
    expect(during.body).toBe(before.body);
    expect(during.headers["cache-control"]).toBe("public, max-age=60");
  });

  it.each(["EdDSA", "ES256", "RS256"] as const)(
    "a warm exchange signs (%s) on the event loop, and its JWT verifies with jose",
    async (alg) => {
      const issuer = await testIssuer({ PATGATE_SIGNING_ALG: alg });
      const { token } = await issuer.store.issue({ owner: "warm", roles: ["read"] });
      await issuer.exchange(token); // verified once: cached from here on

      pool = await holdThreadPool();
      const exchanged = await within(
        2000,
        "a warm exchange",
        issuer.app.inject({ method: "POST", url: "/token", headers: { authorization: `Bearer ${token}` } }),
      );
      const jwks = await within(2000, "the JWKS", issuer.app.inject({ url: "/.well-known/jwks.json" }));
      await pool.release();

      expect(exchanged.statusCode).toBe(200);
      expect(jwks.statusCode).toBe(200);
      const jwt = exchanged.json().access_token as string;
      expect(decodeProtectedHeader(jwt)).toMatchObject({ alg, typ: "at+jwt" });
      // The token verifies with plain jose against what the JWKS served.
      const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks.json()), {
        issuer: ISSUER,
        audience: "patgate",
        typ: "at+jwt",
        algorithms: [alg],
      });
      expect(payload).toMatchObject({ sub: "warm", roles: ["read"], scope: "read" });
    },
  );
});
