import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateProof, type KeyPair } from "dpop";
import type { FastifyInstance } from "fastify";
import { createLocalJWKSet, type JWTPayload, jwtVerify } from "jose";
import { expect } from "vitest";
import { buildApp } from "../src/app.js";
import type { AuditEvent } from "../src/audit/audit-event.js";
import { type IssuerConfig, loadConfig } from "../src/config.js";
import type { AppParts } from "../src/context.js";
import type { EventSink } from "../src/events/token-events.js";
import { ISSUER_ERROR_CODES, ISSUER_ERRORS, type IssuerErrorCode } from "../src/http/errors.js";
import { loadSigningKeys, type SigningKeys } from "../src/jwt/signing-keys.js";
import { createMemoryOutbox } from "../src/revocation/outbox.js";
import { createRevocation, type Revocation } from "../src/revocation/revocation.js";
import type { TokenStore } from "../src/tokens/types.js";
import { freshStore } from "./tokens/store-fixture.js";

export const ISSUER = "https://issuer.test";

export interface TestIssuer {
  readonly app: FastifyInstance;
  readonly store: TokenStore;
  readonly keys: SigningKeys;
  readonly revocation: Revocation;
  readonly config: IssuerConfig;
  readonly audit: AuditEvent[];
  /** A new admin PAT and a JWT minted from it for the admin audience: an admin credential. */
  adminJwt(): Promise<string>;
  /** Exchanges `pat` for the admin audience (the way the CLI and the examples do). */
  exchangeAdmin(pat: string): Promise<string>;
  /** Exchanges a PAT; returns the JWT or throws with the response body. */
  exchange(pat: string, extra?: Record<string, string>): Promise<string>;
  /** Verifies a JWT with plain jose against the served JWKS. */
  verifyWithJwks(jwt: string): Promise<JWTPayload>;
}

/** The issuer app over a fresh table, fresh keys and in-process revocation, with overridable deps. */
export async function testIssuer(
  env: Record<string, string> = {},
  overrides: Partial<AppParts> & { storeNow?: () => number; events?: EventSink } = {},
): Promise<TestIssuer> {
  const dataDir = await mkdtemp(join(tmpdir(), "patgate-test-"));
  const config = loadConfig({
    PATGATE_ISSUER: ISSUER,
    PATGATE_DATA_DIR: dataDir,
    PATGATE_AUDIENCE: "patgate,billing",
    ...env,
  });
  const store = overrides.store ?? (await freshStore(overrides.storeNow ? { now: overrides.storeNow } : {})).store;
  const keys = await loadSigningKeys({
    path: join(dataDir, "signing-keys.json"),
    generate: true,
    algorithm: config.signingAlgorithm,
    jwtTtlSeconds: config.jwtTtlSeconds,
    publishDelaySeconds: 0,
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  const revocation =
    overrides.revocation ??
    (await createRevocation({
      store,
      outbox: createMemoryOutbox(overrides.now),
      jwtTtlSeconds: config.jwtTtlSeconds,
      stateMaxAgeSeconds: config.stateMaxAgeSeconds,
      ...(overrides.events ? { events: overrides.events } : {}),
      ...(overrides.now ? { now: overrides.now } : {}),
    }));
  const audit: AuditEvent[] = [];
  const app = await buildApp({
    config,
    store,
    keys,
    revocation,
    logger: false,
    audit: { record: (event) => audit.push(event) },
    ...overrides,
  });
  await app.ready();

  async function exchange(pat: string, extra: Record<string, string> = {}): Promise<string> {
    const response = await app.inject({
      method: "POST",
      url: "/token",
      payload: {
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: pat,
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
        ...extra,
      },
    });
    if (response.statusCode !== 200) throw new Error(`exchange failed: ${response.statusCode} ${response.body}`);
    return response.json().access_token as string;
  }

  return {
    app,
    store,
    keys,
    revocation,
    config,
    audit,
    exchange,
    exchangeAdmin: (pat) => exchange(pat, { audience: config.adminAudience }),
    async adminJwt() {
      const { token } = await store.issue({ owner: "root", isAdmin: true, roles: ["admin"] });
      return exchange(token, { audience: config.adminAudience });
    },
    async verifyWithJwks(jwt) {
      const jwks = (await app.inject({ url: "/.well-known/jwks.json" })).json();
      const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: ISSUER, typ: "at+jwt" });
      return payload;
    },
  };
}

/**
 * Asserts the one error shape: the status, the RFC 6749 `error`, a stable
 * `error_code` whose row in the error table gives that status and `error`,
 * and a description. Pass `code` to pin the code too.
 */
export function expectError(
  response: { statusCode: number; json(): unknown },
  status: number,
  error: string,
  code?: IssuerErrorCode,
): void {
  const body = response.json() as Record<string, unknown>;
  expect(response.statusCode).toBe(status);
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe("string");
  expect(ISSUER_ERROR_CODES).toContain(body.error_code);
  expect(ISSUER_ERRORS[body.error_code as IssuerErrorCode]).toMatchObject({ status, error });
  if (code !== undefined) expect(body.error_code).toBe(code);
}

/**
 * One admin API request with `jwt` as its bearer token (no Authorization
 * header when null); `payload` is sent as JSON.
 *
 * @example await adminCall(issuer.app, await issuer.adminJwt(), "GET", "/admin/tokens")
 */
export function adminCall(
  app: FastifyInstance,
  jwt: string | null,
  method: "GET" | "POST" | "PATCH",
  url: string,
  payload?: unknown,
) {
  return app.inject({
    method,
    url,
    headers: jwt === null ? {} : { authorization: `Bearer ${jwt}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/** Exchanges `pat` at `/token` with a DPoP proof of `holder` (panva's dpop); the DPoP-bound JWT. */
export async function boundExchange(
  issuer: Pick<TestIssuer, "app">,
  holder: KeyPair,
  pat: string,
  audience?: string,
): Promise<string> {
  const response = await issuer.app.inject({
    method: "POST",
    url: "/token",
    headers: { dpop: await generateProof(holder, `${ISSUER}/token`, "POST") },
    payload: {
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      subject_token: pat,
      ...(audience ? { audience } : {}),
    },
  });
  expect(response.json().token_type).toBe("DPoP");
  return response.json().access_token as string;
}
