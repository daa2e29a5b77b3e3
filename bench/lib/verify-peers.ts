// The ways a service verifies a JWT, all with the same key and tokens: ours,
// the raw `node:crypto.verify` ceiling, jose, fast-jwt (with and without its
// cache), @fastify/jwt's per-request path with get-jwks, and Auth0's
// express-oauth2-jwt-bearer middleware. A peer that cannot do an algorithm
// says so (`unsupported`) instead of being measured.
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { createVerifier as patgateVerifier } from "@patgate/verifier";
import { auth } from "express-oauth2-jwt-bearer";
import { createDecoder, createVerifier as fastJwtVerifier } from "fast-jwt";
import buildGetJwks from "get-jwks";
import { importJWK, type JWK, jwtVerify } from "jose";

export type Alg = "EdDSA" | "ES256" | "RS256";

/** A verification, synchronous or not; `fresh` rebuilds any state (caches) between rounds. */
export interface Contender {
  readonly sync: boolean;
  readonly fresh: () => (token: string) => unknown;
}

export interface PeerSetup {
  readonly alg: Alg;
  readonly issuer: string;
  readonly audience: string;
  readonly publicJwk: JWK;
  /** Where the JWKS is served, for the peers that fetch it. */
  readonly jwksUri: string;
}

const DIGEST: Record<Alg, string | null> = { EdDSA: null, ES256: "sha256", RS256: "sha256" };

/** The ceiling: split, decode the signature, `node:crypto.verify` with a parsed KeyObject; no claim checked. */
function rawVerify(alg: Alg, key: KeyObject): (token: string) => boolean {
  const keyInput = alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" as const } : key;
  return (token) => {
    const dot = token.lastIndexOf(".");
    const ok = cryptoVerify(
      DIGEST[alg],
      Buffer.from(token.slice(0, dot), "latin1"),
      keyInput,
      Buffer.from(token.slice(dot + 1), "base64url"),
    );
    if (!ok) throw new Error("bad signature");
    return ok;
  };
}

/** Auth0's middleware called as Express would call it, with the least request it reads. */
function auth0(setup: PeerSetup): (token: string) => Promise<unknown> {
  const middleware = auth({
    issuer: setup.issuer,
    audience: setup.audience,
    jwksUri: setup.jwksUri,
    tokenSigningAlg: setup.alg,
  }) as unknown as (req: unknown, res: unknown, next: (error?: unknown) => void) => Promise<void>;
  const host = (name: string) => (name.toLowerCase() === "host" ? "localhost" : undefined);
  return (token) =>
    new Promise((resolve, reject) => {
      const req = {
        headers: { authorization: `Bearer ${token}`, host: "localhost" },
        method: "GET",
        protocol: "http",
        originalUrl: "/resource",
        url: "/resource",
        query: {},
        is: () => false,
        get: host,
      };
      void middleware(req, {}, (error) => (error ? reject(error) : resolve(req)));
    });
}

/** @fastify/jwt's per-request path with get-jwks: the key (as PEM) by kid, then a fast-jwt verifier per key. */
function fastifyJwtGetJwks(setup: PeerSetup): (token: string) => Promise<unknown> {
  const getJwks = buildGetJwks({ jwksPath: "/jwks.json" });
  const decode = createDecoder({ complete: true });
  const verifiers = new Map<string, (token: string) => unknown>();
  return async (token) => {
    const { header } = decode(token) as { header: { kid: string; alg: string } };
    const key = await getJwks.getPublicKey({ domain: setup.issuer, kid: header.kid, alg: header.alg });
    let verify = verifiers.get(key);
    if (!verify) {
      verify = fastJwtVerifier({ key, algorithms: [setup.alg], allowedIss: setup.issuer, allowedAud: setup.audience });
      verifiers.set(key, verify);
    }
    return verify(token);
  };
}

/** Every contender for one algorithm. */
export async function contenders(setup: PeerSetup): Promise<Record<string, Contender>> {
  const { alg, issuer, audience, publicJwk } = setup;
  const keyObject = createPublicKey({ key: publicJwk as import("node:crypto").JsonWebKey, format: "jwk" });
  const pem = keyObject.export({ type: "spki", format: "pem" }).toString();
  const joseKey = await importJWK(publicJwk, alg);
  const fastJwt = (cache: boolean) =>
    fastJwtVerifier({ key: pem, algorithms: [alg], allowedIss: issuer, allowedAud: audience, cache });
  const jwks = { keys: [publicJwk] };
  return {
    patgate: { sync: false, fresh: () => patgateVerifier({ issuer, audience, jwks }).verify },
    "node:crypto.verify": { sync: true, fresh: () => rawVerify(alg, keyObject) },
    jose: { sync: false, fresh: () => (t) => jwtVerify(t, joseKey, { issuer, audience, algorithms: [alg] }) },
    "fast-jwt": { sync: true, fresh: () => fastJwt(false) },
    "fast-jwt (cache)": { sync: true, fresh: () => fastJwt(true) },
    "@fastify/jwt + get-jwks": { sync: false, fresh: () => fastifyJwtGetJwks(setup) },
    "express-oauth2-jwt-bearer": { sync: false, fresh: () => auth0(setup) },
  };
}
