// The synchronous signature path: the edges where a hand-written JWS check
// could drift from jose's, each pinned to the code jose's path gave.
import { sign as cryptoSign, generateKeyPairSync } from "node:crypto";
import { base64url, exportJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createVerifier, type Verifier, VerifierError } from "../src/index.js";
import { AUDIENCE, claims, ISSUER, makeKey, NOW, sign, type TestKey } from "./fixtures.js";

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof VerifierError)) throw new Error(`expected a VerifierError, got ${String(error)}`);
  return error.code;
}

const verifierFor = (key: TestKey | { publicJwk: object }) =>
  createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk as never] },
    now: () => NOW * 1000,
    cache: false,
  });

/** A token with a header and payload of our choosing, signed with `key` by node:crypto. */
function handMade(key: TestKey, header: Record<string, unknown>, payload: string): string {
  const input = `${base64url.encode(JSON.stringify(header))}.${payload}`;
  return `${input}.${base64url.encode(cryptoSign(null, Buffer.from(input), privateKeys.get(key) as never))}`;
}
const privateKeys = new Map<TestKey, unknown>();

let es256: TestKey;
let eddsa: TestKey;
beforeAll(async () => {
  es256 = await makeKey("ES256");
  const pair = generateKeyPairSync("ed25519");
  eddsa = {
    kid: "hand",
    alg: "EdDSA",
    privateKey: undefined as never,
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid: "hand", alg: "EdDSA", use: "sig" },
  };
  privateKeys.set(eddsa, pair.privateKey);
});

describe("the signature path: jose's codes on the edges", () => {
  it("rejects an ES256 signature of the wrong length as invalid_signature, not a crash", async () => {
    const token = await sign(es256);
    const [h, p, s = ""] = token.split(".");
    expect(await codeOf(verifierFor(es256).verify(`${h}.${p}.${s.slice(0, -4)}`))).toBe("invalid_signature");
  });

  it("rejects a signature that is not base64url as malformed", async () => {
    const token = await sign(es256);
    expect(await codeOf(verifierFor(es256).verify(`${token.slice(0, -2)}+/`))).toBe("token_malformed");
  });

  it("accepts typ application/at+jwt, any case", async () => {
    const token = await sign(es256, claims(), { typ: "Application/AT+JWT" });
    await expect(verifierFor(es256).verify(token)).resolves.toMatchObject({ sub: "alice" });
  });

  it.each([
    ["an unknown critical extension", { crit: ["exp"], exp: 1 }],
    ["an unencoded payload (b64: false)", { crit: ["b64"], b64: false }],
    ["a crit that is not an array", { crit: "b64" }],
  ])("rejects a header with %s as malformed", async (_name, extra) => {
    const payload = base64url.encode(JSON.stringify(claims()));
    const token = handMade(eddsa, { alg: "EdDSA", kid: "hand", typ: "at+jwt", ...extra }, payload);
    expect(await codeOf(verifierFor(eddsa).verify(token))).toBe("token_malformed");
  });

  it("rejects a validly signed payload that is not a JSON object as malformed", async () => {
    for (const payload of [base64url.encode("[1,2]"), base64url.encode("not json"), base64url.encode("\xff\xfe")]) {
      const token = handMade(eddsa, { alg: "EdDSA", kid: "hand", typ: "at+jwt" }, payload);
      expect(await codeOf(verifierFor(eddsa).verify(token))).toBe("token_malformed");
    }
  });

  it("decides a payload outside base64url by its signature first, as jose does", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "EdDSA", kid: "hand", typ: "at+jwt" }));
    const signed = handMade(eddsa, { alg: "EdDSA", kid: "hand", typ: "at+jwt" }, "a*b");
    expect(await codeOf(verifierFor(eddsa).verify(signed))).toBe("token_malformed");
    const forged = `${header}.a*b.${signed.split(".")[2]?.slice(0, -4)}AAAA`;
    expect(await codeOf(verifierFor(eddsa).verify(forged))).toBe("invalid_signature");
  });

  it("refuses an RSA key under 2048 bits, as jose does", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const jwk = { ...(await exportJWK(publicKey)), kid: "small", alg: "RS256", use: "sig" };
    const input = `${base64url.encode(JSON.stringify({ alg: "RS256", kid: "small", typ: "at+jwt" }))}.${base64url.encode(JSON.stringify(claims()))}`;
    const token = `${input}.${base64url.encode(cryptoSign("sha256", Buffer.from(input), privateKey))}`;
    expect(await codeOf(verifierFor({ publicJwk: jwk }).verify(token))).toBe("token_malformed");
  });
});

describe("the decoded-header reuse", () => {
  it("gives every token its own verdict though they share a header", async () => {
    const v: Verifier = verifierFor(es256);
    const good = await sign(es256, claims({ jti: "a" }));
    const expired = await sign(es256, claims({ jti: "b", exp: NOW - 100 }));
    await expect(v.verify(good)).resolves.toMatchObject({ jti: "a" });
    expect(await codeOf(v.verify(expired))).toBe("token_expired");
    await expect(v.verify(good)).resolves.toMatchObject({ jti: "a" });
  });
});

describe("base64url as jose reads it", () => {
  it("tolerates padding on the signature, and refuses the base64 alphabet", async () => {
    const token = await sign(es256);
    const [h = "", p = "", s = ""] = token.split(".");
    expect(s.length % 4).toBe(2);
    const padded = `${h}.${p}.${s}==`;
    await expect(verifierFor(es256).verify(padded)).resolves.toMatchObject({ sub: "alice" });
    expect(await codeOf(verifierFor(es256).verify(`${h}.${p}.${s.slice(0, -1)}/`))).toBe("token_malformed");
  });
});
