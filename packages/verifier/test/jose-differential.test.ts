// The verifier's own JOSE core (compact-jws.ts, check-jwt.ts, jwks.ts) held to
// jose: the same random and mutated tokens, headers, claims, JWKS and clocks
// go to `verify()` and to jose's `jwtVerify` (+ the claims the verifier
// adds), and both must accept or refuse alike, with the same error code.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createVerifier } from "../src/index.js";
import { caseArbitrary, jwksOf, tokenOf } from "./differential/cases.js";
import { joseVerdict, stricterByDesign, verifierVerdict } from "./differential/jose-oracle.js";
import { type DiffKey, makeKeys } from "./differential/keys.js";
import { AUDIENCE, ISSUER, NOW } from "./fixtures.js";

let keys: readonly DiffKey[];
beforeAll(() => {
  keys = makeKeys();
});

/** Cases per run: thousands, in a few seconds (keys are made once; RS256 signing is the slowest part). */
const RUNS = Number(process.env.PATGATE_DIFFERENTIAL_RUNS ?? 3000);

describe("verify() against jose's jwtVerify", () => {
  it(`gives jose's verdict on ${RUNS} random and mutated tokens`, async () => {
    const seen = new Map<string, number>();
    let stricter = 0;
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const jwks = jwksOf(keys, c);
        const token = tokenOf(keys, c);
        const nowSeconds = NOW + c.clockOffset;
        const verifier = createVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          jwks,
          clockTolerance: c.tolerance,
          cache: false,
          now: () => nowSeconds * 1000,
        });
        const ours = await verifierVerdict(verifier.verify(token));
        // Again on the same verifier: its decoded-header cache must not change the verdict.
        expect(await verifierVerdict(verifier.verify(token))).toEqual(ours);
        if (stricterByDesign(token)) {
          stricter += 1;
          expect(ours.ok).toBe(false);
          return;
        }
        const theirs = await joseVerdict(token, jwks, { nowSeconds, clockTolerance: c.tolerance });
        expect(ours).toEqual(theirs);
        const label = ours.ok ? "accepted" : ours.code;
        seen.set(label, (seen.get(label) ?? 0) + 1);
      }),
      { numRuns: RUNS },
    );
    // The cases reach every answer: acceptance and each refusal the JOSE core can give.
    for (const label of [
      "accepted",
      "token_malformed",
      "algorithm_not_allowed",
      "invalid_signature",
      "unknown_kid",
      "invalid_typ",
      "invalid_issuer",
      "invalid_audience",
      "token_expired",
      "token_not_yet_valid",
      "claim_invalid",
    ])
      expect(seen.get(label) ?? 0, label).toBeGreaterThan(RUNS / 500);
    expect(stricter).toBeGreaterThan(0);
  });
});
