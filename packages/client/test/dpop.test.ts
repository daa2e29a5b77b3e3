import { generateKeyPairSync } from "node:crypto";
import { verifyDpopProof } from "@patgate/shared";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { createTokenClient, generateDpopKey, importDpopKey } from "../src/index.js";

const PAT = "pat_0123456789abcdefghijk.s3cretS3cretS3cretS3cretS3cret";
/** An issuer that answers every exchange with a DPoP token (the proofs are checked in test/e2e/client-dpop.test.ts). */
const issuerFetch = async () =>
  Response.json({ access_token: "jwt", token_type: "DPoP", expires_in: 300 }, { status: 200 });
const base = { issuer: "https://issuer.test", pat: PAT, fetch: issuerFetch };

/** A private JWK of each kind a proof may be signed with. */
function privateJwk(kind: "ec" | "ed25519" | "rsa"): Record<string, unknown> {
  const pair =
    kind === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : kind === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ed25519");
  return pair.privateKey.export({ format: "jwk" }) as Record<string, unknown>;
}

describe("DPoP keys of the client", () => {
  it.each([
    ["ec", "ES256"],
    ["ed25519", "Ed25519"],
    ["rsa", "RS256"],
  ] as const)(
    "a private %s JWK (object or text) signs proofs the shared proof check accepts (%s)",
    async (kind, alg) => {
      const jwk = privateJwk(kind);
      for (const given of [jwk, JSON.stringify(jwk)]) {
        const keys = await importDpopKey(given);
        expect(keys.privateKey.extractable).toBe(false);
        const client = createTokenClient({ ...base, dpop: keys });
        const { dpop } = await client.requestHeaders("get", "https://api.test/orders?page=2#x");
        const check = await verifyDpopProof(dpop as string, {
          method: "GET",
          url: "https://api.test/orders",
          nowSeconds: Math.floor(Date.now() / 1000),
          maxAgeSeconds: 60,
        });
        expect(check).toMatchObject({ ok: true });
        expect(JSON.parse(Buffer.from((dpop as string).split(".")[0] as string, "base64url").toString()).alg).toBe(alg);
      }
    },
  );

  it("refuses what is not a private JWK, never echoing it", async () => {
    const { d: _d, ...publicJwk } = privateJwk("ec");
    const secret = "not-json-s3cret";
    for (const bad of [publicJwk, secret, "[]", { kty: "oct", k: "abc", d: "x" }, { ...privateJwk("ec"), x: "!" }]) {
      const error = await importDpopKey(bad as Parameters<typeof importDpopKey>[0]).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TypeError);
      expect(String(error)).not.toContain(secret);
    }
  });

  it("generateDpopKey makes a non-extractable private key; a bad dpop option is a TypeError at creation", async () => {
    const keys = await generateDpopKey();
    expect(keys.privateKey.extractable).toBe(false);
    for (const dpop of [false, "yes", {}, { privateKey: keys.publicKey, publicKey: keys.publicKey }]) {
      expect(() => createTokenClient({ issuer: "https://issuer.test", pat: PAT, dpop: dpop as never })).toThrow(
        /createTokenClient: dpop/,
      );
    }
  });

  it("one client keeps one key: two proofs, two jti, one thumbprint", async () => {
    const client = createTokenClient({ ...base, dpop: true });
    const proofs = await Promise.all([0, 1].map(() => client.requestHeaders("POST", "https://api.test/x")));
    const headers = proofs.map(({ dpop }) =>
      JSON.parse(Buffer.from((dpop as string).split(".")[0] as string, "base64url").toString()),
    );
    expect(headers[0].jwk).toEqual(headers[1].jwk);
    expect(decodeJwt(proofs[0]?.dpop as string).jti).not.toBe(decodeJwt(proofs[1]?.dpop as string).jti);
  });
});
