import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, type JWTPayload, jwtVerify } from "jose";
import { testDynamoClient, uniqueName } from "../../../../test/harness/context.js";
import { loadSigningKeys } from "../../src/jwt/signing-keys.js";
import type { HostResolver } from "../../src/ssf/endpoint-guard.js";
import { createSsf, createSsfTables, type Ssf } from "../../src/ssf/ssf.js";
import { publishAlongside } from "../../src/ssf/ssf-keys.js";
import { ISSUER, type TestIssuer, testIssuer } from "../app-fixture.js";

export interface SsfTestIssuer extends TestIssuer {
  readonly ssf: Ssf;
  /** A JWT for the SSF audience from a new PAT of `owner` with `roles` (default the receiver role). */
  receiverJwt(owner?: string, roles?: string[]): Promise<string>;
  /** Verifies a SET with plain jose against the served JWKS: typ, iss, aud, signature. */
  verifySet(set: string, aud: string): Promise<JWTPayload & { events: Record<string, Record<string, unknown>> }>;
  close(): Promise<void>;
}

/** Names every test host: `public.example` resolves outward, `inward.example` to a private address. */
export const testResolver: HostResolver = async (host) => {
  if (host === "inward.example") return ["10.1.2.3"];
  if (host.endsWith(".example")) return ["203.0.113.7"];
  if (host === "127.0.0.1") return ["127.0.0.1"];
  throw new Error(`unknown test host ${host}`);
};

/** The issuer app with a transmitter over fresh tables on the shared dynalite, fast retries, short long polls. */
export async function ssfTestIssuer(
  options: { allowPrivate?: boolean; maxQueued?: number; longPollMs?: number; attempts?: number } = {},
): Promise<SsfTestIssuer> {
  const client = testDynamoClient();
  const tableName = uniqueName("ssf");
  await createSsfTables(client, tableName);
  const dir = await mkdtemp(join(tmpdir(), "patgate-ssf-"));
  const issuerKeys = await loadSigningKeys({
    path: join(dir, "signing-keys.json"),
    generate: true,
    jwtTtlSeconds: 300,
    publishDelaySeconds: 0,
  });
  const setKeys = await loadSigningKeys({
    path: join(dir, "ssf-keys.json"),
    generate: true,
    algorithm: "RS256",
    jwtTtlSeconds: 300,
  });
  const ssf = createSsf({
    dynamo: client,
    tableName,
    issuer: ISSUER,
    config: {
      audience: "patgate-ssf",
      allowPrivateEndpoints: options.allowPrivate ?? false,
      signingKeysFile: { path: join(dir, "ssf-keys.json"), generate: true },
      maxQueued: options.maxQueued ?? 10_000,
    },
    keys: setKeys,
    push: { retry: { attempts: options.attempts ?? 4, backoffMs: 100 }, pollMs: 50, timeoutMs: 2000 },
    resolve: testResolver,
    longPollMs: options.longPollMs ?? 300,
  });
  const issuer = await testIssuer(
    {},
    { ssf, keys: publishAlongside(issuerKeys, setKeys), events: ssf.transmitter.sink },
  );
  return {
    ...issuer,
    ssf,
    async receiverJwt(owner = "okta", roles = ["ssf-receiver"]) {
      const { token } = await issuer.store.issue({ owner, roles });
      return issuer.exchange(token, { audience: "patgate-ssf" });
    },
    async verifySet(set, aud) {
      const jwks = (await issuer.app.inject({ url: "/.well-known/jwks.json" })).json();
      const { payload, protectedHeader } = await jwtVerify(set, createLocalJWKSet(jwks), {
        issuer: ISSUER,
        audience: aud,
        typ: "secevent+jwt",
        algorithms: ["RS256"],
      });
      if (protectedHeader.alg !== "RS256") throw new Error("not RS256");
      return payload as JWTPayload & { events: Record<string, Record<string, unknown>> };
    },
    async close() {
      await ssf.close();
      await issuer.app.close();
    },
  };
}
