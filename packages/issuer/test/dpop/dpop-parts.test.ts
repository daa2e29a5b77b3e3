import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createDpopNonces } from "../../src/dpop/nonce.js";
import { createMemoryReplayGuard, ReplayWindowFullError, replayWindowMs } from "../../src/dpop/proof-replay.js";
import { tokenEventData } from "../../src/events/token-events.js";
import { loadSigningKeys, type SigningKeys } from "../../src/jwt/signing-keys.js";

const JKT = "n4NZ7lzkyPQi0hCZpHdSO6XhQE_x-Pk9mJgRA_EKzNU";

describe("DPoP configuration", () => {
  it("defaults to optional proofs, a 60 s window, no nonces", () => {
    expect(loadConfig({}, "/srv").dpop).toEqual({ mode: "optional", maxAgeSeconds: 60, nonce: false });
  });

  it("reads every variable", () => {
    const secret = "s".repeat(40);
    expect(
      loadConfig(
        {
          PATGATE_DPOP: "required",
          PATGATE_DPOP_MAX_AGE: "30",
          PATGATE_DPOP_NONCE: "on",
          PATGATE_DPOP_NONCE_SECRET: secret,
        },
        "/srv",
      ).dpop,
    ).toEqual({ mode: "required", maxAgeSeconds: 30, nonce: true, nonceSecret: secret });
  });

  it.each([
    [{ PATGATE_DPOP: "yes" }, /^PATGATE_DPOP must be optional or required, got "yes"$/],
    [{ PATGATE_DPOP_MAX_AGE: "0" }, /^PATGATE_DPOP_MAX_AGE must be an integer number of seconds from 1 to 600/],
    [{ PATGATE_DPOP_MAX_AGE: "1h" }, /^PATGATE_DPOP_MAX_AGE must be an integer/],
    [{ PATGATE_DPOP_NONCE: "maybe" }, /^PATGATE_DPOP_NONCE must be on or off/],
    [{ PATGATE_DPOP_NONCE_SECRET: "short-secret" }, /^PATGATE_DPOP_NONCE_SECRET must be at least 32/],
  ])("refuses %o in one line", (env, message) => {
    let thrown: unknown;
    try {
      loadConfig(env, "/srv");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain("\n");
    expect((thrown as Error).message).not.toContain("short-secret");
  });
});

async function signingKeys(): Promise<SigningKeys> {
  const dir = await mkdtemp(join(tmpdir(), "patgate-nonce-"));
  return loadSigningKeys({ path: join(dir, "keys.json"), generate: true, jwtTtlSeconds: 300, publishDelaySeconds: 0 });
}

describe("stateless DPoP nonces", () => {
  const at = 1_800_000_000_000;

  it("are accepted in their minute and the next, by every issuer with the same keys, and no longer", async () => {
    const keys = await signingKeys();
    const one = createDpopNonces({ keys });
    const other = createDpopNonces({ keys });
    const nonce = one.issue(at);
    expect(other.accepts(nonce, at)).toBe(true);
    expect(other.accepts(nonce, at + 60_000)).toBe(true);
    expect(other.accepts(nonce, at + 120_000)).toBe(false);
    expect(other.accepts(nonce, at - 60_000)).toBe(false);
  });

  it("are refused by an issuer with other keys, or another secret", async () => {
    const nonce = createDpopNonces({ keys: await signingKeys() }).issue(at);
    expect(createDpopNonces({ keys: await signingKeys() }).accepts(nonce, at)).toBe(false);
    const keys = await signingKeys();
    const shared = createDpopNonces({ keys, secret: "a".repeat(32) }).issue(at);
    expect(createDpopNonces({ keys: await signingKeys(), secret: "a".repeat(32) }).accepts(shared, at)).toBe(true);
    expect(createDpopNonces({ keys, secret: "b".repeat(32) }).accepts(shared, at)).toBe(false);
  });

  it("refuses malformed and forged nonces", async () => {
    const nonces = createDpopNonces({ keys: await signingKeys() });
    const [window] = nonces.issue(at).split(".");
    for (const bad of ["", "x", `${window}.${"A".repeat(22)}`, `${window}.${"A".repeat(300)}`, "zzzzzzzzzzzzz.x"])
      expect(nonces.accepts(bad, at)).toBe(false);
  });
});

describe("the in-memory replay window", () => {
  it("refuses a jti seen within the window, per key, and forgets it after", async () => {
    const guard = createMemoryReplayGuard(replayWindowMs(60));
    expect(await guard.firstUse(JKT, "j1", 0)).toBe(true);
    expect(await guard.firstUse(JKT, "j1", 120_000)).toBe(false);
    expect(await guard.firstUse(`${JKT.slice(1)}x`, "j1", 1000)).toBe(true);
    expect(await guard.firstUse(JKT, "j1", 121_001)).toBe(true);
  });

  it("stays bounded: full of live proofs, it refuses new ones (503) rather than forget one", async () => {
    const guard = createMemoryReplayGuard(1000, 3);
    for (const jti of ["a", "b", "c"]) expect(await guard.firstUse(JKT, jti, 0)).toBe(true);
    await expect(guard.firstUse(JKT, "d", 10)).rejects.toBeInstanceOf(ReplayWindowFullError);
    expect(await guard.firstUse(JKT, "a", 10)).toBe(false);
    expect(await guard.firstUse(JKT, "d", 1000)).toBe(true);
  });
});

describe("events of bound PATs", () => {
  it("show the bound key, or the first-use binding still waiting", () => {
    const record = {
      tokenId: "a".repeat(21),
      owner: "ci",
      isAdmin: false,
      roles: [],
      isRevoked: false,
      createdAt: 1,
      updatedAt: 1,
      revision: 1,
      ownerRevision: 0,
    };
    expect(tokenEventData({ ...record, dpopJkt: JKT }, "cli")).toMatchObject({ dpopJkt: JKT });
    expect(tokenEventData({ ...record, dpopBindOnFirstUse: true }, "cli")).toMatchObject({ dpopBindOnFirstUse: true });
    expect(tokenEventData(record, "cli")).not.toHaveProperty("dpopJkt");
  });
});
