import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, type JSONWebKeySet, jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { killWatchedChildren, spawnPatgate, untilPrinted } from "../harness/child-process.js";
import { freePort } from "../harness/free-port.js";
import { adminJwtOver, initialAdminPat } from "../harness/issuer-admin.js";
import { hasRedisServer, startRedisServer } from "../harness/redis-server.js";
import { type SetReceiver, startSetReceiver } from "../harness/set-receiver.js";
import { until } from "../harness/until.js";

// Shared Signals across a process death: the embedded issuer SIGKILLed after
// token changes were made and before their SETs reached the receivers, then
// started again. Push: every SET arrives, each checked with jose against the
// issuer's JWKS, duplicates only under the same jti. Poll: every SET is still
// there to poll, and acknowledged ones do not come back.

const ISSUER = "https://ssf.test";
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  await killWatchedChildren();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

describe("the embedded issuer SIGKILLed between token changes and their SETs' delivery", () => {
  it("delivers every SET after it starts again, by push and by poll; nothing lost, duplicates share a jti", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-ssf-"));
    let current = "";
    const jwks = async () => (await (await fetch(`${current}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const receiver = await startSetReceiver({ issuer: ISSUER, audience: "siem", jwks });
    cleanups.push(() => receiver.close());
    let down = true;
    receiver.reply = () => (down ? 503 : 202);

    const serve = async () => {
      const port = await freePort();
      // Before it starts: it pushes as soon as it is up, and the receiver reads its JWKS there.
      current = `http://127.0.0.1:${port}`;
      const watched = spawnPatgate(["serve"], {
        PORT: String(port),
        PATGATE_DATA_DIR: dataDir,
        PATGATE_ISSUER: ISSUER,
        PATGATE_SSF_ALLOW_PRIVATE_ENDPOINTS: "on",
        PATGATE_LOG_LEVEL: "warn",
      });
      await untilPrinted(watched, "issuer listening on", "patgate serve");
      return { ...watched, url: current };
    };
    const call = async (url: string, jwt: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${jwt}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    };

    const first = await serve();
    const admin = await adminJwtOver(first.url, await initialAdminPat(dataDir));
    const rxPat = await call(first.url, admin, "POST", "/admin/tokens", { owner: "siem", roles: ["ssf-receiver"] });
    const exchanged = await fetch(`${first.url}/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${rxPat.body.token as string}` },
      body: new URLSearchParams({ audience: "patgate-ssf" }),
    });
    const rx = ((await exchanged.json()) as { access_token: string }).access_token;
    const push = await call(first.url, rx, "POST", "/ssf/stream", {
      delivery: { method: "urn:ietf:rfc:8935", endpoint_url: receiver.url },
    });
    expect(push.status).toBe(201);
    const poll = await call(first.url, rx, "POST", "/ssf/stream", { delivery: { method: "urn:ietf:rfc:8936" } });
    const pollId = poll.body.stream_id as string;

    const ids: string[] = [];
    for (const owner of ["a", "b"]) {
      const created = await call(first.url, admin, "POST", "/admin/tokens", { owner });
      ids.push((created.body.record as { tokenId: string }).tokenId);
    }
    expect((await call(first.url, admin, "POST", `/admin/tokens/${ids[0]}/revoke`)).status).toBe(200);

    // Each SET attempted once and refused: recorded, waiting for its retry, when the issuer dies.
    await until(() => new Set(receiver.received.map((r) => r.jti)).size === 3, {
      message: "a first attempt of each SET",
      timeoutMs: 30_000,
    });
    const before = new Set(receiver.received.map((r) => r.jti));
    await kill(first.child);
    down = false;
    const second = await serve();
    await until(() => [...before].every((jti) => receiver.accepted().has(jti)), {
      message: "every SET pushed after the restart",
      timeoutMs: 30_000,
    });
    expect(receiver.problems).toEqual([]);
    expect(new Set(receiver.accepted().keys())).toEqual(before);
    // At least once: a jti seen twice is the same SET, byte for byte.
    for (const jti of before)
      expect(new Set(receiver.received.filter((r) => r.jti === jti).map((r) => r.set)).size).toBe(1);
    expect([...receiver.accepted().values()].map((s) => s.event.change_type).sort()).toEqual([
      "create",
      "create",
      "revoke",
    ]);

    // The poll stream kept its three across the restart.
    const remote = createRemoteJWKSet(new URL(`${second.url}/.well-known/jwks.json`));
    const polled = await call(second.url, rx, "POST", `/ssf/poll/${pollId}`, { returnImmediately: true });
    const sets = polled.body.sets as Record<string, string>;
    expect(Object.keys(sets)).toHaveLength(3);
    for (const set of Object.values(sets))
      await jwtVerify(set, remote, { issuer: ISSUER, audience: "siem", typ: "secevent+jwt" });
    const acked = await call(second.url, rx, "POST", `/ssf/poll/${pollId}`, {
      ack: Object.keys(sets),
      returnImmediately: true,
    });
    expect(acked.body).toEqual({ sets: {}, moreAvailable: false });
    const pending = await call(second.url, admin, "GET", "/admin/ssf/deliveries?state=pending");
    expect(pending.body.items).toEqual([]);
  }, 120_000);
});

/** An embedded issuer (with `extra` env) on a fresh port, the receiver's JWKS pointed at it before it starts. */
async function serveIssuer(dataDir: string, extra: Record<string, string>, onUrl: (url: string) => void) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  onUrl(url);
  const watched = spawnPatgate(["serve"], {
    PORT: String(port),
    PATGATE_DATA_DIR: dataDir,
    PATGATE_ISSUER: ISSUER,
    PATGATE_SSF_ALLOW_PRIVATE_ENDPOINTS: "on",
    PATGATE_LOG_LEVEL: "warn",
    ...extra,
  });
  await untilPrinted(watched, "issuer listening on", "patgate serve");
  return { ...watched, url };
}

async function api(url: string, jwt: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${jwt}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** A receiver PAT made by the admin, exchanged for the SSF audience, and a push stream to `receiver`. */
async function pushStream(url: string, admin: string, receiver: SetReceiver): Promise<string> {
  const pat = await api(url, admin, "POST", "/admin/tokens", { owner: "siem", roles: ["ssf-receiver"] });
  const exchanged = await fetch(`${url}/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${pat.body.token as string}` },
    body: new URLSearchParams({ audience: "patgate-ssf" }),
  });
  const rx = ((await exchanged.json()) as { access_token: string }).access_token;
  const stream = await api(url, rx, "POST", "/ssf/stream", {
    delivery: { method: "urn:ietf:rfc:8935", endpoint_url: receiver.url },
  });
  expect(stream.status).toBe(201);
  return rx;
}

describe.skipIf(!hasRedisServer())(
  "with Redis: Redis stopped while SETs are made, the issuer SIGKILLed, both back",
  () => {
    it("the sweeper enqueues what Redis missed and BullMQ pushes it; every SET once, checked with jose", async () => {
      const redis = await startRedisServer();
      cleanups.push(() => redis.stop());
      const dataDir = await mkdtemp(join(tmpdir(), "patgate-ssf-redis-"));
      let current = "";
      const jwks = async () => (await (await fetch(`${current}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      const receiver = await startSetReceiver({ issuer: ISSUER, audience: "siem", jwks });
      cleanups.push(() => receiver.close());
      let down = true;
      receiver.reply = () => (down ? 503 : 202);
      const env = { REDIS_URL: redis.url, PATGATE_REDIS_PREFIX: "ssf-faults" };

      const first = await serveIssuer(dataDir, env, (url) => {
        current = url;
      });
      const admin = await adminJwtOver(first.url, await initialAdminPat(dataDir));
      await pushStream(first.url, admin, receiver);
      const made = await api(first.url, admin, "POST", "/admin/tokens", { owner: "before-outage" });
      expect(made.status).toBe(201);
      await until(() => receiver.received.length >= 1, { message: "the first SET attempted", timeoutMs: 30_000 });

      // Redis goes away: SETs are still recorded (DynamoDB), their enqueue fails fast.
      await redis.stop();
      for (const owner of ["during-1", "during-2"])
        expect((await api(first.url, admin, "POST", "/admin/tokens", { owner })).status).toBe(201);
      await kill(first.child);
      await redis.restart();
      down = false;
      await serveIssuer(dataDir, env, (url) => {
        current = url;
      });
      await until(() => receiver.accepted().size >= 3, {
        message: "three SETs pushed after the outage",
        timeoutMs: 60_000,
      });
      expect(receiver.problems).toEqual([]);
      const owners = [...receiver.accepted().values()]
        .map((s) => (s.payload.sub_id as { user: { sub: string } }).user.sub)
        .sort();
      expect(owners).toEqual(["before-outage", "during-1", "during-2"]);
      for (const jti of receiver.accepted().keys())
        expect(new Set(receiver.received.filter((r) => r.jti === jti).map((r) => r.set)).size).toBe(1);
    }, 150_000);
  },
);
