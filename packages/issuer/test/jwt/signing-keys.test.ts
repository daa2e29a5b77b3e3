import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { until } from "../../../../test/harness/until.js";
import { mintAccessToken } from "../../src/jwt/mint-access-token.js";
import { generateSigningJwk, loadSigningKeys } from "../../src/jwt/signing-keys.js";

const TTL = 300;
const T0 = 1_900_000_000;

async function tempPath() {
  return join(await mkdtemp(join(tmpdir(), "patgate-keys-")), "signing-keys.json");
}

describe("signing keys", () => {
  it("generates once, persists with mode 0600, and reloads the same key", async () => {
    const path = await tempPath();
    const first = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: TTL });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: TTL });
    expect(again.signingKey(T0).kid).toBe(first.signingKey(T0).kid);
    expect(first.publicJwks(T0).keys).toEqual([
      expect.objectContaining({ kid: first.signingKey(T0).kid, alg: "EdDSA", kty: "OKP" }),
    ]);
    expect(JSON.stringify(first.publicJwks(T0))).not.toMatch(/"d":/);
  });

  it("refuses a missing production key file, and a broken one", async () => {
    const path = await tempPath();
    await expect(loadSigningKeys({ path, generate: false, jwtTtlSeconds: TTL })).rejects.toThrow(/does not exist/);
    await writeFile(path, "{ nope");
    await expect(loadSigningKeys({ path, generate: false, jwtTtlSeconds: TTL })).rejects.toThrow(/not JSON/);
    await writeFile(path, JSON.stringify({ keys: [{ kty: "OKP", crv: "Ed25519", x: "abc" }] }));
    await expect(loadSigningKeys({ path, generate: false, jwtTtlSeconds: TTL })).rejects.toThrow(/private JWK/);
  });

  it("loads a plain private JWKS (PATGATE_SIGNING_KEYS) with ES256 and RS256 keys", async () => {
    for (const alg of ["ES256", "RS256"] as const) {
      const path = await tempPath();
      const jwk = await generateSigningJwk(alg);
      await writeFile(path, JSON.stringify({ keys: [jwk] }));
      const keys = await loadSigningKeys({ path, generate: false, jwtTtlSeconds: TTL });
      expect(keys.signingKey(T0)).toMatchObject({ kid: jwk.kid, alg });
    }
  });

  it("rotates: publish first, sign after the delay, retire once every JWT of the old key has expired", async () => {
    const path = await tempPath();
    const keys = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: TTL, publishDelaySeconds: 120 });
    const oldKid = keys.signingKey(T0).kid;
    const { kid: newKid, activatesAt } = await keys.rotate(T0);
    expect(activatesAt).toBe(T0 + 120);
    // Published at once, not yet signing.
    expect(keys.publicJwks(T0).keys.map((k) => k.kid)).toEqual([oldKid, newKid]);
    expect(keys.signingKey(T0 + 119).kid).toBe(oldKid);
    expect(keys.signingKey(T0 + 120).kid).toBe(newKid);
    // The old key's last JWT (minted at T0+119) lives until T0+419: still published then.
    expect(keys.publicJwks(T0 + 120 + TTL).keys.map((k) => k.kid)).toContain(oldKid);
    expect(keys.publicJwks(T0 + 120 + TTL + 61).keys.map((k) => k.kid)).toEqual([newKid]);
    // Persisted: another process sees the same schedule.
    const reloaded = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: TTL });
    expect(reloaded.signingKey(T0 + 120).kid).toBe(newKid);
    expect(JSON.parse(await readFile(path, "utf8")).keys).toHaveLength(2);
  });

  it("picks up a rotation made by another process on refresh", async () => {
    const path = await tempPath();
    const server = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: TTL, publishDelaySeconds: 0 });
    const cli = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: TTL, publishDelaySeconds: 0 });
    // refresh() reloads on a changed mtime: the rotation must be written after the file clock has ticked.
    const written = (await stat(path)).mtimeMs;
    await until(
      async () => {
        await writeFile(`${path}.probe`, "");
        return (await stat(`${path}.probe`)).mtimeMs > written;
      },
      { message: "the file clock to move past the key file's mtime" },
    );
    const { kid } = await cli.rotate(T0);
    await server.refresh();
    expect(server.publicJwks(T0).keys.map((k) => k.kid)).toContain(kid);
    expect(server.signingKey(T0).kid).toBe(kid);
  });

  it("mints JWTs that verify against the JWKS across a rotation", async () => {
    const path = await tempPath();
    const keys = await loadSigningKeys({ path, generate: true, jwtTtlSeconds: TTL, publishDelaySeconds: 60 });
    const mint = (nowS: number) =>
      mintAccessToken(keys, {
        issuer: "https://i",
        audience: "a",
        owner: "o",
        tokenId: "AAAAAAAAAAAAAAAAAAAAA",
        roles: ["r"],
        ttlSeconds: TTL,
        nowMs: nowS * 1000,
        revision: 1,
        ownerRevision: 0,
      });
    const before = await mint(T0);
    await keys.rotate(T0);
    const after = await mint(T0 + 60);
    expect(after.kid).not.toBe(before.kid);
    const jwks = createLocalJWKSet(keys.publicJwks(T0 + 60) as Parameters<typeof createLocalJWKSet>[0]);
    for (const minted of [before, after]) {
      await expect(jwtVerify(minted.token, jwks, { currentDate: new Date((T0 + 61) * 1000) })).resolves.toBeDefined();
    }
  });

  it("publishes the same JWK object for a key on every call, so a verifier imports it once", async () => {
    const keys = await loadSigningKeys({ path: await tempPath(), generate: true, jwtTtlSeconds: TTL });
    const [first] = keys.publicJwks(T0).keys;
    await keys.rotate(T0);
    const [again, added] = keys.publicJwks(T0 + 1).keys;
    expect(again).toBe(first);
    expect(added).toBe(keys.publicJwks(T0 + 2).keys[1]);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("mints with the real iat, the revisions it was derived from, and exp capped by the PAT", async () => {
    const keys = await loadSigningKeys({ path: await tempPath(), generate: true, jwtTtlSeconds: TTL });
    const minted = await mintAccessToken(keys, {
      issuer: "https://i",
      audience: "a",
      owner: "o",
      tokenId: "AAAAAAAAAAAAAAAAAAAAA",
      roles: ["b", "a"],
      ttlSeconds: TTL,
      nowMs: T0 * 1000 + 500,
      revision: 7,
      ownerRevision: 3,
      patExpiresAt: T0 + 100,
    });
    expect(minted).toMatchObject({ iat: T0, exp: T0 + 100, scope: "b a" });
    const [, payload = ""] = minted.token.split(".");
    expect(JSON.parse(Buffer.from(payload, "base64url").toString())).toMatchObject({ client_rev: 7, sub_rev: 3 });
  });
});
