import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryDenyList } from "@patgate/verifier";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createAccessTokenChecker } from "../../src/jwt/access-token-check.js";
import { mintAccessToken } from "../../src/jwt/mint-access-token.js";
import { loadSigningKeys } from "../../src/jwt/signing-keys.js";

const T0 = 1_900_000_000;

describe("the issuer's access-token check", () => {
  it("is one verifier across key rotations: a key rotated in counts at once, a retired one no longer", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-check-"));
    const config = loadConfig({ PATGATE_ISSUER: "https://issuer.test", PATGATE_DATA_DIR: dataDir });
    const path = join(dataDir, "signing-keys.json");
    const keys = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: 300, publishDelaySeconds: 60 });
    let clock = T0 * 1000;
    const denyList = createMemoryDenyList();
    const checker = createAccessTokenChecker({ config, keys, denyList, now: () => clock });
    const input = () => ({
      issuer: config.issuer,
      audience: config.adminAudience,
      owner: "root",
      tokenId: "AAAAAAAAAAAAAAAAAAAAA",
      roles: ["admin"],
      ttlSeconds: 300,
      nowMs: clock,
      revision: 1,
      ownerRevision: 0,
    });
    const mint = () => mintAccessToken(keys, input());

    const before = await mint();
    await expect(checker.check(before.token)).resolves.toMatchObject({ ok: true, token: { jti: before.jti } });
    await keys.rotate(T0);
    clock += 60_000;
    const after = await mint();
    expect(after.kid).not.toBe(before.kid);
    await expect(checker.check(after.token)).resolves.toMatchObject({ ok: true, token: { jti: after.jti } });
    await expect(checker.check(before.token)).resolves.toMatchObject({ ok: true });

    denyList.add({ kind: "jti", value: after.jti, expiresAt: T0 + 600 });
    await expect(checker.check(after.token)).resolves.toEqual({ ok: false, reason: "denied" });

    // Long after the old key stopped signing, it is gone from the JWKS: a JWT of it (here one whose
    // exp is still ahead, as a forged one would be) is refused at once, with no verifier rebuilt.
    clock += (300 + 61) * 1000;
    expect(keys.publicJwks(Math.floor(clock / 1000)).keys.map((k) => k.kid)).toEqual([after.kid]);
    const late = await mintAccessToken({ ...keys, signingKey: () => keys.signingKey(T0 - 1) }, input());
    expect(late.kid).toBe(before.kid);
    await expect(checker.check(late.token)).resolves.toEqual({ ok: false, reason: "invalid" });
    await checker.close();
  });
});
