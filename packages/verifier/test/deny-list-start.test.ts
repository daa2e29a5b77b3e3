import { afterEach, describe, expect, it, vi } from "vitest";
import { freePort } from "../../../test/harness/free-port.js";
import { until } from "../../../test/harness/until.js";
import { createVerifier, type VerifierLogger } from "../src/index.js";
import { AUDIENCE, claims, ISSUER, makeKey, sign } from "./fixtures.js";

// A deny-list that cannot start makes every verify fail closed; the verifier
// must say why, once, through its logger (console by default).

function recordingLogger(): VerifierLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (message) => lines.push(message) };
}

afterEach(() => {
  vi.doUnmock("ioredis");
  vi.resetModules();
  vi.restoreAllMocks();
});

describe("a deny-list that cannot start", () => {
  it("tells the logger once that Redis refuses connections, and verify fails closed meanwhile", async () => {
    const key = await makeKey();
    const nowS = Math.floor(Date.now() / 1000);
    const token = await sign(key, claims({ iat: nowS - 5, exp: nowS + 290 }));
    const logger = recordingLogger();
    // Nothing listens on this port: every connection attempt is refused.
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      denyList: { redis: `redis://127.0.0.1:${await freePort()}` },
      logger,
    });
    try {
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: "deny_list_unavailable", status: 503 });
      // A window, not a condition: the follower retries several times in it (100 ms back-off doubling),
      // and no second line may come.
      await new Promise((r) => setTimeout(r, 800));
      expect(logger.lines).toHaveLength(1);
      expect(logger.lines[0]).toMatch(/^@patgate\/verifier: the deny-list cannot load from Redis \(.*ECONNREFUSED/);
      expect(logger.lines[0]).toContain("deny_list_unavailable");
    } finally {
      await verifier.close();
    }
  });

  it("says that ioredis is not installed, once, on console by default; verify's error carries the cause", async () => {
    // What Node throws when the package is missing (the packed-libraries test removes it for real).
    const missing = Object.assign(new Error("Cannot find package 'ioredis' imported from redis-deny-list.js"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    vi.doMock("ioredis", () => ({
      get Redis(): never {
        throw missing;
      },
    }));
    const { createVerifier: createFresh } = await import("../src/index.js");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const key = await makeKey();
    const nowS = Math.floor(Date.now() / 1000);
    const verifier = createFresh({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      denyList: { redis: "redis://127.0.0.1:6379" },
    });
    try {
      await until(() => warn.mock.calls.length > 0, { message: "the warning" });
      const error = await verifier.verify(await sign(key, claims({ iat: nowS - 5, exp: nowS + 290 }))).then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
      expect(error).toMatchObject({ code: "deny_list_unavailable", message: "the deny-list could not be started" });
      expect(String((error?.cause as Error | undefined)?.message)).toContain("ioredis is not installed");
      await verifier.verify("x.y.z").catch(() => {});
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]).toEqual([
        "@patgate/verifier: the deny-list could not start (ioredis is not installed (`npm install ioredis`), " +
          "and denyList.redis needs it); verify answers deny_list_unavailable (503)",
      ]);
    } finally {
      await verifier.close();
    }
  });

  it("is silent with logger: false, and refuses a logger without warn", async () => {
    const key = await makeKey();
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } };
    expect(() => createVerifier({ ...base, logger: {} as VerifierLogger })).toThrow(TypeError);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const verifier = createVerifier({
      ...base,
      denyList: { redis: `redis://127.0.0.1:${await freePort()}` },
      logger: false,
    });
    try {
      await expect(verifier.verify("x.y.z")).rejects.toMatchObject({ code: "token_malformed" });
      // A window, not a condition: the follower fails to connect in it, and nothing may be said.
      await new Promise((r) => setTimeout(r, 300));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      await verifier.close();
    }
  });
});
