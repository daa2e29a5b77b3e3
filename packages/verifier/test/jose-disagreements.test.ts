// Each place where the verifier once answered otherwise than jose, pinned
// with jose's own answer beside it; and the places where the verifier is
// stricter than jose by design (README, "What is checked").
import type { JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createVerifier, type VerifierOptions } from "../src/index.js";
import { joseVerdict, type Verdict, verifierVerdict } from "./differential/jose-oracle.js";
import { type DiffKey, makeKeys, signInput } from "./differential/keys.js";
import { AUDIENCE, claims, ISSUER, NOW, serveJwks } from "./fixtures.js";

let ed: DiffKey;
let es: DiffKey;
beforeAll(() => {
  [ed, , es] = makeKeys() as [DiffKey, DiffKey, DiffKey];
});

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/** A token of our making: any header, any payload text, signed by `key` with `alg`. */
function handMade(key: DiffKey, header: Record<string, unknown>, payload = JSON.stringify(claims())): string {
  const input = `${b64(JSON.stringify({ alg: key.alg, typ: "at+jwt", kid: key.publicJwk.kid, ...header }))}.${payload.startsWith("raw:") ? payload.slice(4) : b64(payload)}`;
  return `${input}.${signInput(key.alg, key.privateKey, input)}`;
}

/** Both verdicts on a token, against the same JWKS and clock. */
async function both(token: string, keys: JWK[], options: Partial<VerifierOptions> = {}): Promise<[Verdict, Verdict]> {
  const verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys },
    now: () => NOW * 1000,
    ...options,
  });
  const ours = await verifierVerdict(verifier.verify(token));
  const theirs = await joseVerdict(
    token,
    { keys },
    {
      nowSeconds: NOW,
      clockTolerance: options.clockTolerance ?? 5,
      ...(options.algorithms ? { algorithms: options.algorithms } : {}),
    },
  );
  return [ours, theirs];
}

const refused = (code: string): Verdict => ({ ok: false, code });

describe("where the verifier answered otherwise than jose, it now answers as jose does", () => {
  it.each([1, null, true, ["kid-ed1"]])(
    "refuses a kid that is not a string (%j) though the JWKS has one key",
    async (kid) => {
      const [ours, theirs] = await both(handMade(ed, { kid }), [ed.publicJwk]);
      expect(ours).toEqual(refused("unknown_kid"));
      expect(theirs).toEqual(ours);
    },
  );

  it("refuses two keys under the kid a token names (the ambiguity), the right one first or not", async () => {
    const token = handMade(ed, {});
    for (const keys of [
      [ed.publicJwk, ed.impostorJwk],
      [ed.impostorJwk, ed.publicJwk],
      [ed.publicJwk, { ...ed.publicJwk }],
    ]) {
      const [ours, theirs] = await both(token, keys);
      expect(ours).toEqual(refused("unknown_kid"));
      expect(theirs).toEqual(ours);
    }
  });

  it.each([
    ["key_ops without verify", { key_ops: ["sign"] }, "unknown_kid"],
    ["ext the string true", { ext: "true" }, "unknown_kid"],
    [
      "key_ops naming sign beside verify (a public key cannot sign)",
      { key_ops: ["sign", "verify"] },
      "token_malformed",
    ],
  ])("does not verify with a key whose %s (RFC 7517 §4.3)", async (_label, change, code) => {
    const [ours, theirs] = await both(handMade(ed, {}), [{ ...ed.publicJwk, ...change } as JWK]);
    expect(ours).toEqual(refused(code));
    expect(theirs).toEqual(ours);
    // The same key with key_ops ["verify"] and ext true verifies on both sides.
    const fine = await both(handMade(ed, {}), [{ ...ed.publicJwk, key_ops: ["verify"], ext: true }]);
    expect(fine[0]).toMatchObject({ ok: true });
    expect(fine[1]).toEqual(fine[0]);
  });

  it("refuses a configured JWKS holding a private key: at once when given, when picked by jose", async () => {
    const leaked: JWK = { ...(ed.privateKey.export({ format: "jwk" }) as JWK), kid: "kid-ed1", alg: "EdDSA" };
    const options = { issuer: ISSUER, audience: AUDIENCE, now: () => NOW * 1000 };
    expect(() => createVerifier({ ...options, jwks: { keys: [leaked] } })).toThrow(TypeError);
    expect(() => createVerifier({ ...options, jwks: { keys: [leaked] } })).toThrow(/private key \(#0, kid kid-ed1\)/);
    expect(
      await joseVerdict(handMade(ed, {}), { keys: [leaked] }, { nowSeconds: NOW, clockTolerance: 5 }),
    ).toMatchObject({ ok: false });
    // Handed over by a function, or served as the issuer's JWKS: jwks_unavailable, the cause saying why.
    const fromFunction = createVerifier({ ...options, jwks: () => ({ keys: [leaked] }) });
    await expect(fromFunction.verify(handMade(ed, {}))).rejects.toMatchObject({
      code: "jwks_unavailable",
      cause: expect.objectContaining({ message: expect.stringContaining("private key") }),
    });
    const served = await serveJwks([leaked]);
    try {
      const remote = createVerifier({ ...options, jwksUri: served.url });
      await expect(remote.verify(handMade(ed, {}))).rejects.toMatchObject({ code: "jwks_unavailable" });
    } finally {
      await served.close();
    }
  });

  it("refuses a token issued 30 years in the future, and one issued just past the tolerance", async () => {
    for (const iat of [NOW + 946_080_000, NOW + 6]) {
      const [ours, theirs] = await both(handMade(ed, {}, JSON.stringify(claims({ iat, exp: iat + 300 }))), [
        ed.publicJwk,
      ]);
      expect(ours).toEqual(refused("claim_invalid"));
      expect(theirs).toEqual(ours);
    }
    const [skewed, joseSkewed] = await both(handMade(ed, {}, JSON.stringify(claims({ iat: NOW + 5 }))), [ed.publicJwk]);
    expect(skewed).toMatchObject({ ok: true });
    expect(joseSkewed).toEqual(skewed);
  });

  it("answers crit b64 false with a disallowed alg as algorithm_not_allowed, an allowed one as malformed", async () => {
    const unencoded = { crit: ["b64"], b64: false };
    const [ours, theirs] = await both(handMade(es, unencoded), [es.publicJwk], { algorithms: ["EdDSA"] });
    expect(ours).toEqual(refused("algorithm_not_allowed"));
    expect(theirs).toEqual(ours);
    const [allowed, joseAllowed] = await both(handMade(es, unencoded), [es.publicJwk]);
    expect(allowed).toEqual(refused("token_malformed"));
    expect(joseAllowed).toEqual(allowed);
  });
});

describe("where the verifier is stricter than jose, by design", () => {
  const spaced = (text: string) => `raw:${b64(text).slice(0, 10)} ${b64(text).slice(10)}`;
  it.each([
    ["whitespace in a segment", () => handMade(ed, {}, spaced(JSON.stringify(claims())))],
    ["a byte-order mark before the JSON", () => handMade(ed, {}, `\ufeff${JSON.stringify(claims())}`)],
    ["a crit value listed twice", () => handMade(ed, { crit: ["b64", "b64"], b64: true })],
    ["a token over 8,192 characters", () => handMade(ed, {}, JSON.stringify(claims({ pad: "x".repeat(8200) })))],
  ])("refuses %s, which jose accepts", async (_label, make) => {
    const [ours, theirs] = await both(make(), [ed.publicJwk]);
    expect(ours).toEqual(refused("token_malformed"));
    expect(theirs).toMatchObject({ ok: true });
  });
});
