import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getListFromStatusListJWT } from "@sd-jwt/jwt-status-list";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ISSUER_BIN,
  killWatchedChildren,
  spawnWatched,
  untilPrinted,
  type WatchedChild,
} from "../harness/child-process.js";
import { dynamoEndpoint, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { adminJwtOver, initialAdminPat } from "../harness/issuer-admin.js";
import { hasRedisServer, startRedisServer, type TestRedis } from "../harness/redis-server.js";
import { until } from "../harness/until.js";

// Two issuers over one table and one Redis, and a service that follows only the status list.
const SERVICE = resolve(import.meta.dirname, "../../examples/status-list-service.mjs");
const TTL_SECONDS = 2;
/** What the contract promises: a revocation is honoured within the list's ttl plus a second. */
const DENIED_WITHIN_MS = (TTL_SECONDS + 1) * 1000;

describe.skipIf(!hasRedisServer())("Token Status List across processes", () => {
  let redis: TestRedis;
  let issuerUrl: string;
  let secondUrl: string;
  let serviceUrl: string;
  let adminJwt: string;
  let issuerEnv: NodeJS.ProcessEnv;
  let issuer: WatchedChild;

  async function startIssuer(env: NodeJS.ProcessEnv): Promise<WatchedChild> {
    const watched = spawnWatched(process.execPath, [ISSUER_BIN, "serve"], env);
    await untilPrinted(watched, "patgate issuer listening", "the issuer to listen");
    return watched;
  }

  async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${issuerUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminJwt}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function newPat(owner: string): Promise<{ token: string; tokenId: string }> {
    const created = await api("POST", "/admin/tokens", { owner, roles: ["read"] });
    return { token: created.token as string, tokenId: (created.record as { tokenId: string }).tokenId };
  }

  async function exchange(pat: string): Promise<string> {
    const response = await fetch(`${issuerUrl}/token`, { method: "POST", headers: { authorization: `Bearer ${pat}` } });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`exchange failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  const serviceStatus = async (jwt: string) =>
    (await fetch(`${serviceUrl}/me`, { headers: { authorization: `Bearer ${jwt}` } })).status;

  /** Revokes through the admin API, then returns how long the service took to refuse `jwt`. */
  async function revokeAndTime(tokenId: string, jwt: string): Promise<number> {
    await api("POST", `/admin/tokens/${tokenId}/revoke`);
    const answered = Date.now();
    await until(async () => (await serviceStatus(jwt)) === 401, {
      message: "the service to refuse the revoked PAT's JWT",
      timeoutMs: DENIED_WITHIN_MS + 2000,
      intervalMs: 50,
    });
    return Date.now() - answered;
  }

  /** The status of `jwt` in the list served at `base`, decoded independently and verified with jose. */
  async function listedStatus(base: string, jwt: string): Promise<number> {
    const { idx, uri } = (decodeJwt(jwt) as { status: { status_list: { idx: number; uri: string } } }).status
      .status_list;
    const list = await (await fetch(`${base}${new URL(uri).pathname}`)).text();
    await jwtVerify(list, createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)), {
      typ: "statuslist+jwt",
      subject: uri,
    });
    return getListFromStatusListJWT(list).getStatus(idx);
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    const [port, secondPort, servicePort] = [await freePort(), await freePort(), await freePort()];
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-sl-"));
    issuerUrl = `http://127.0.0.1:${port}`;
    secondUrl = `http://127.0.0.1:${secondPort}`;
    serviceUrl = `http://127.0.0.1:${servicePort}`;
    issuerEnv = {
      PORT: String(port),
      DYNAMODB_ENDPOINT: dynamoEndpoint(),
      AWS_REGION: "us-east-1",
      PATGATE_TABLE: uniqueName("sl"),
      REDIS_URL: redis.url,
      PATGATE_REDIS_PREFIX: uniqueName("sl"),
      PATGATE_DATA_DIR: dataDir,
      PATGATE_ISSUER: issuerUrl,
      PATGATE_STATUS_LIST: "on",
      PATGATE_STATUS_LIST_TTL: String(TTL_SECONDS),
    };
    issuer = await startIssuer(issuerEnv);
    // The second issuer: same table, Redis, issuer name and keys; its own port and data dir.
    await startIssuer({
      ...issuerEnv,
      PORT: String(secondPort),
      PATGATE_DATA_DIR: await mkdtemp(join(tmpdir(), "patgate-sl2-")),
      PATGATE_SIGNING_KEYS: join(dataDir, "signing-keys.json"),
    });
    adminJwt = await adminJwtOver(issuerUrl, await initialAdminPat(dataDir));
    const service = spawnWatched(process.execPath, [SERVICE], {
      PATGATE_ISSUER: issuerUrl,
      PORT: String(servicePort),
      PATGATE_STATUS_LIST_MAX_STALENESS: "60",
    });
    await untilPrinted(service, "Server listening", "the status-list service to listen");
  }, 120_000);

  afterAll(async () => {
    await killWatchedChildren();
    await redis?.stop();
  });

  it(`a service with only statusList refuses a revoked PAT's JWT within ttl + 1 s (${DENIED_WITHIN_MS} ms)`, async () => {
    const victim = await newPat("sl-alice");
    const bystander = await exchange((await newPat("sl-bob")).token);
    const jwt = await exchange(victim.token);
    expect(await serviceStatus(jwt)).toBe(200);
    const tookMs = await revokeAndTime(victim.tokenId, jwt);
    expect(tookMs).toBeLessThanOrEqual(DENIED_WITHIN_MS);
    expect(await serviceStatus(bystander)).toBe(200);
  });

  it("two issuers serve the same bits, each verifiable with jose and decodable by an independent implementation", async () => {
    const pat = await newPat("sl-carol");
    const jwt = await exchange(pat.token);
    expect(await listedStatus(secondUrl, jwt)).toBe(0);
    await api("POST", `/admin/tokens/${pat.tokenId}/revoke`);
    await until(async () => (await listedStatus(secondUrl, jwt)) === 1, { message: "the second issuer's list" });
    expect(await listedStatus(issuerUrl, jwt)).toBe(1);
  });

  it("a revocation accepted while Redis is down reaches the status list and the service", async () => {
    const pat = await newPat("sl-dave");
    const jwt = await exchange(pat.token);
    expect(await serviceStatus(jwt)).toBe(200);
    await redis.stop();
    try {
      expect(await revokeAndTime(pat.tokenId, jwt)).toBeLessThanOrEqual(DENIED_WITHIN_MS);
    } finally {
      await redis.restart();
    }
  }, 60_000);

  it("survives an issuer restart: the bits come back from DynamoDB, the service keeps its copy meanwhile", async () => {
    const pat = await newPat("sl-erin");
    const jwt = await exchange(pat.token);
    const kept = await exchange((await newPat("sl-fred")).token);
    await api("POST", `/admin/tokens/${pat.tokenId}/revoke`);
    await until(async () => (await serviceStatus(jwt)) === 401, { message: "the revoked JWT refused" });
    issuer.child.kill("SIGKILL");
    await new Promise((done) => issuer.child.once("exit", done));
    // Issuer gone: the service answers from its last good list (within its staleness bound).
    expect([await serviceStatus(jwt), await serviceStatus(kept)]).toEqual([401, 200]);
    issuer = await startIssuer(issuerEnv);
    expect(await listedStatus(issuerUrl, jwt)).toBe(1);
    expect(await listedStatus(issuerUrl, kept)).toBe(0);
    const after = await newPat("sl-gina");
    const afterJwt = await exchange(after.token);
    expect(await revokeAndTime(after.tokenId, afterJwt)).toBeLessThanOrEqual(DENIED_WITHIN_MS);
  }, 90_000);
});
