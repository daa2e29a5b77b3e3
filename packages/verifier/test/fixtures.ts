import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

export const ISSUER = "https://issuer.test";
export const AUDIENCE = "patgate";
export const NOW = 1_900_000_000;

export interface TestKey {
  readonly kid: string;
  readonly alg: "EdDSA" | "ES256" | "RS256";
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function makeKey(
  alg: TestKey["alg"] = "EdDSA",
  kid = `${alg}-${Math.random().toString(36).slice(2)}`,
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** Claims of a valid patgate JWT at NOW. */
export function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    sub: "alice",
    aud: AUDIENCE,
    iat: NOW - 10,
    exp: NOW + 290,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    client_id: "AAAAAAAAAAAAAAAAAAAAA",
    roles: ["read", "write"],
    scope: "read write",
    ...overrides,
  };
}

export async function sign(
  key: TestKey,
  payload: JWTPayload = claims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "at+jwt", ...header })
    .sign(key.privateKey);
}

/** A JWKS served over real HTTP, whose keys and availability a test can change, counting requests. */
export interface JwksServer {
  readonly url: string;
  hits: number;
  keys: JWK[];
  down: boolean;
  close(): Promise<void>;
}

export async function serveJwks(keys: JWK[], maxAge = 60): Promise<JwksServer> {
  const state = { hits: 0, keys, down: false };
  const server: Server = createServer((_req, res) => {
    state.hits += 1;
    if (state.down) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "cache-control": `public, max-age=${maxAge}` });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as JwksServer;
}
