// Random and mutated cases for the differential test: a JWKS (keys with their
// members changed), a header, claims, a clock, and a token signed then mutated.
import fc from "fast-check";
import type { JWK } from "jose";
import { AUDIENCE, ISSUER, NOW } from "../fixtures.js";
import { type DiffKey, signInput } from "./keys.js";

const ABSENT = Symbol("absent");
type Maybe<T> = T | typeof ABSENT;
const oneOf = <T>(...values: T[]) => fc.constantFrom(...values);
/** The first value six times in seven (most cases stay close to a valid token), else one of the others. */
const mostly = <T>(usual: T, ...others: T[]) =>
  fc.oneof({ arbitrary: fc.constant(usual), weight: 6 }, { arbitrary: fc.constantFrom(...others), weight: 1 });

/** How a published key is changed in the JWKS. */
const jwkChange = fc.record({
  include: mostly(true, false),
  kid: mostly<"own" | "shared" | typeof ABSENT | number>("own", "own", "shared", ABSENT, 7),
  alg: mostly<"own" | string | typeof ABSENT>("own", "own", ABSENT, "ES256", "EdDSA", "RS384"),
  use: mostly<Maybe<string>>(ABSENT, "sig", "sig", "enc"),
  key_ops: mostly<Maybe<unknown>>(
    ABSENT,
    ABSENT,
    ["verify"],
    ["sign"],
    ["sign", "verify"],
    ["verify", "verify"],
    "verify",
    [],
  ),
  ext: mostly<Maybe<unknown>>(ABSENT, ABSENT, true, false, "true"),
  crv: mostly<"own" | string>("own", "own", "own", "P-384", "Ed448"),
  /** Another entry under the same kid: a copy, or the impostor's public key before or after it. */
  twin: mostly<"none" | "copy" | "impostor-before" | "impostor-after">(
    "none",
    "none",
    "none",
    "copy",
    "impostor-before",
    "impostor-after",
  ),
});

const header = fc.record({
  alg: mostly<"signer" | unknown>(
    "signer",
    "signer",
    "signer",
    "EdDSA",
    "ES256",
    "RS256",
    "none",
    "HS256",
    "RS384",
    ABSENT,
    5,
    "",
  ),
  typ: mostly<Maybe<unknown>>("at+jwt", "at+jwt", "application/at+jwt", "AT+JWT", "JWT", "application/jwt", ABSENT, 1),
  kid: mostly<unknown>("signer", "signer", "signer", "shared", ABSENT, "other", "", 1, null, true, ["kid-ed1"]),
  crit: mostly<
    | "none"
    | "b64-true"
    | "b64-false"
    | "b64-missing"
    | "b64-string"
    | "other"
    | "empty"
    | "not-array"
    | "blank"
    | "twice"
    | "b64-uncritical"
  >(
    "none",
    "none",
    "none",
    "none",
    "b64-true",
    "b64-false",
    "b64-missing",
    "b64-string",
    "other",
    "empty",
    "not-array",
    "blank",
    "twice",
    "b64-uncritical",
  ),
  jku: fc.boolean(),
});

const claims = fc.record({
  iss: mostly<Maybe<unknown>>(ISSUER, ISSUER, ISSUER, "https://evil.test", ABSENT, 1),
  aud: mostly<Maybe<unknown>>(AUDIENCE, AUDIENCE, ["x", AUDIENCE], "other", ["x"], ABSENT, 1, [AUDIENCE, 1]),
  sub: mostly<Maybe<unknown>>("alice", "alice", "", ABSENT, 1),
  jti: mostly<Maybe<unknown>>("j1", "j1", "", ABSENT, 1),
  client_id: mostly<Maybe<unknown>>("AAAA", "AAAA", "", ABSENT, 7),
  roles: mostly<Maybe<unknown>>(["read"], ["read"], [], "read", ["a", 1], ABSENT),
  scope: mostly<Maybe<unknown>>(ABSENT, "read", 1),
  iat: mostly<Maybe<unknown>>(
    NOW - 10,
    NOW,
    NOW + 4,
    NOW + 5,
    NOW + 6,
    NOW + 61,
    NOW + 946_080_000,
    ABSENT,
    "x",
    1.5,
    1e300,
  ),
  exp: mostly<Maybe<unknown>>(
    NOW + 300,
    NOW - 3600,
    NOW - 61,
    NOW - 6,
    NOW - 5,
    NOW - 4,
    NOW,
    NOW + 1,
    ABSENT,
    "x",
    null,
  ),
  nbf: mostly<Maybe<unknown>>(ABSENT, NOW - 10, NOW, NOW + 4, NOW + 5, NOW + 6, NOW + 61, "x"),
});

/** Changes made to the token's text before signing (the signature covers them) or after (it does not). */
const mutation = fc.record({
  kind: fc.oneof(
    { arbitrary: fc.constant("none"), weight: 2 },
    oneOf(
      "flip-signature",
      "flip-payload",
      "flip-header",
      "truncate-signature",
      "drop-segment",
      "extra-segment",
      "payload-not-object",
      "payload-non-ascii",
      "payload-control-char",
      "pad-signature",
      "std-alphabet",
      "whitespace",
      "bom",
      "oversize",
      "impostor-signs",
      "empty-signature",
    ),
  ),
  at: fc.nat(),
  text: oneOf("[1]", '"s"', "null", "{bad", "1"),
});

export const caseArbitrary = fc.record({
  signer: fc.nat({ max: 4 }),
  jwks: fc.array(jwkChange, { minLength: 5, maxLength: 5 }),
  header,
  claims,
  mutation,
  tolerance: oneOf(0, 5, 5, 60),
  clockOffset: oneOf(0, 0, 0, -61, -6, -5, -1, 1, 5, 6, 61),
});
export type DiffCase = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

function withoutAbsent(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ABSENT));
}

/** The JWKS a case configures: each key changed, left out, or doubled. */
export function jwksOf(keys: readonly DiffKey[], c: DiffCase): { keys: JWK[] } {
  const out: JWK[] = [];
  keys.forEach((key, i) => {
    const change = c.jwks[i];
    if (!change?.include) return;
    const base = key.publicJwk;
    const jwk = withoutAbsent({
      ...base,
      kid: change.kid === "own" ? base.kid : change.kid === "shared" ? "kid-shared" : change.kid,
      alg: change.alg === "own" ? base.alg : change.alg,
      use: change.use,
      key_ops: change.key_ops,
      ext: change.ext,
      ...(base.crv ? { crv: change.crv === "own" ? base.crv : change.crv } : {}),
    }) as JWK;
    const impostor = { ...key.impostorJwk, kid: jwk.kid } as JWK;
    if (change.twin === "impostor-before") out.push(impostor);
    out.push(jwk);
    if (change.twin === "copy") out.push({ ...jwk });
    if (change.twin === "impostor-after") out.push(impostor);
  });
  return { keys: out };
}

function headerOf(signer: DiffKey, c: DiffCase): Record<string, unknown> {
  const h = c.header;
  const crit: Record<string, Record<string, unknown>> = {
    none: {},
    "b64-true": { crit: ["b64"], b64: true },
    "b64-false": { crit: ["b64"], b64: false },
    "b64-missing": { crit: ["b64"] },
    "b64-string": { crit: ["b64"], b64: "false" },
    other: { crit: ["exp"], exp: 1 },
    empty: { crit: [] },
    "not-array": { crit: "b64", b64: true },
    blank: { crit: [""] },
    twice: { crit: ["b64", "b64"], b64: true },
    "b64-uncritical": { b64: false },
  };
  return withoutAbsent({
    alg: h.alg === "signer" ? signer.alg : h.alg,
    typ: h.typ,
    kid: h.kid === "signer" ? signer.publicJwk.kid : h.kid === "shared" ? "kid-shared" : h.kid,
    ...crit[h.crit],
    ...(h.jku ? { jku: "https://evil.test/jwks.json" } : {}),
  });
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");
const flip = (s: string, at: number) => {
  if (s.length === 0) return "A";
  const i = at % s.length;
  return `${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;
};

/** The token of a case: encoded, signed by the signer (or its impostor), then mutated. */
export function tokenOf(keys: readonly DiffKey[], c: DiffCase): string {
  const signer = keys[c.signer] as DiffKey;
  const m = c.mutation;
  const payloadObject = withoutAbsent(c.claims);
  if (m.kind === "oversize") payloadObject.pad = "x".repeat(9000);
  let headerText = JSON.stringify(headerOf(signer, c));
  let payloadText = m.kind === "payload-not-object" ? m.text : JSON.stringify(payloadObject);
  if (m.kind === "bom") {
    if (m.at % 2 === 0) headerText = `\ufeff${headerText}`;
    else payloadText = `\ufeff${payloadText}`;
  }
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  const signature = signInput(signer.alg, m.kind === "impostor-signs" ? signer.impostor : signer.privateKey, input);
  const [h, p] = input.split(".") as [string, string];
  switch (m.kind) {
    case "flip-signature":
      return `${input}.${flip(signature, m.at)}`;
    case "flip-payload":
      return `${h}.${flip(p, m.at)}.${signature}`;
    case "flip-header":
      return `${flip(h, m.at)}.${p}.${signature}`;
    case "truncate-signature":
      return `${input}.${signature.slice(0, -1 - (m.at % 8))}`;
    case "drop-segment":
      return m.at % 2 === 0 ? input : `${h}.${signature}`;
    case "extra-segment":
      return `${input}.${signature}.`;
    case "payload-non-ascii":
      return `${h}.${p.slice(0, m.at % p.length)}é${p.slice(m.at % p.length)}.${signature}`;
    case "payload-control-char":
      return `${h}.${p.slice(0, m.at % p.length)}\u0001${p.slice(m.at % p.length)}.${signature}`;
    case "pad-signature":
      return `${input}.${signature}${m.at % 2 === 0 ? "=" : "=="}`;
    case "std-alphabet":
      return `${input}.${signature.replace(/-/g, "+").replace(/_/g, "/")}`;
    case "whitespace":
      return `${h}.${p.slice(0, m.at % p.length)} ${p.slice(m.at % p.length)}.${signature}`;
    case "empty-signature":
      return `${input}.`;
    default:
      return `${input}.${signature}`;
  }
}
