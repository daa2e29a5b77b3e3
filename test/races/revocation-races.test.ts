import { redisKeys } from "@patgate/shared";
import { createVerifier, type Verifier, VerifierError } from "@patgate/verifier";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedis } from "../../packages/issuer/src/redis/connection.js";
import { commandConnectionOptions } from "../../packages/issuer/src/redis/connection-options.js";
import { createOutbox, createOutboxTable } from "../../packages/issuer/src/revocation/outbox.js";
import { createRevocation, type Revocation } from "../../packages/issuer/src/revocation/revocation.js";
import { createTokenStore, createTokenTable } from "../../packages/issuer/src/tokens/index.js";
import type { TokenStore } from "../../packages/issuer/src/tokens/types.js";
import { ISSUER, type TestIssuer, testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { startBlackholeProxy } from "../harness/blackhole-proxy.js";
import { FAST_SCRYPT, redisUrl, testDynamoClient, uniqueName } from "../harness/context.js";
import { TOPOLOGIES, type TopologyRedis, topologyRedis } from "../harness/topology.js";
import { until } from "../harness/until.js";

// Revocations racing exchanges, against real Redis (queue, deny-list, stream)
// and the real store, many times and in both orders. An exchange is held
// after its store read and scrypt check (the slow step, tens of ms in
// production) and before it mints, while the change lands; or the two run
// with random timing, cold and cached.

const client = testDynamoClient();

// Against one Redis and against a Redis Cluster (six nodes of this file's own).
describe.each(TOPOLOGIES)("on %s Redis", (topology) => {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });
  let redis: TopologyRedis;

  /** Runs once after the next PAT check: a place to hold an exchange between its read and its mint. */
  let afterCheck: (() => Promise<void>) | undefined;
  let store: TokenStore;
  let outboxTable: string;
  const prefix = uniqueName("races");

  beforeAll(async () => {
    redis = await topologyRedis(topology);
    closers.push(() => redis.stop());
    const tableName = uniqueName("tokens");
    outboxTable = uniqueName("outbox");
    await createTokenTable(client, tableName);
    await createOutboxTable(client, outboxTable);
    const base = createTokenStore(client, { tableName, scrypt: FAST_SCRYPT });
    store = {
      ...base,
      async verify(token) {
        const result = await base.verify(token);
        const hold = afterCheck;
        afterCheck = undefined;
        await hold?.();
        return result;
      },
    };
    node = await startNode();
    const jwks = (await node.issuer.app.inject({ url: "/.well-known/jwks.json" })).json();
    verifier = createVerifier({
      issuer: ISSUER,
      audience: ["patgate", "billing"],
      jwks,
      denyList: { redis: redis.denyListRedis, keyPrefix: prefix },
    });
    closers.push(() => verifier.close());
  });

  interface Node {
    readonly issuer: TestIssuer;
    readonly revocation: Revocation;
  }

  /** One issuer over the shared store and Redis, with its own PAT cache, feed and (optionally) clock. */
  async function startNode(options: { now?: () => number; store?: TokenStore; redisUrl?: string } = {}): Promise<Node> {
    const connection = options.redisUrl
      ? openRedis({ url: options.redisUrl }, commandConnectionOptions())
      : redis.connect(commandConnectionOptions());
    connection.on("error", () => {});
    const nodeStore = options.store ?? store;
    const revocation = await createRevocation({
      store: nodeStore,
      outbox: createOutbox(client, outboxTable),
      redis: { connection, keys: redisKeys(prefix), worker: options.redisUrl === undefined },
      jwtTtlSeconds: 300,
      stateMaxAgeSeconds: 60,
      ...(options.now ? { now: options.now } : {}),
    });
    const issuer = await testIssuer(
      {
        PATGATE_TOKEN_FAILURE_LIMIT: "100000",
        PATGATE_ADDRESS_FAILURE_LIMIT: "100000",
        PATGATE_COLD_EXCHANGES_PER_MINUTE: "100000",
      },
      {
        store: nodeStore,
        revocation,
        // Every node signs with the first one's keys, so one verifier checks them all.
        ...(node ? { keys: node.issuer.keys } : {}),
        ...(options.now ? { now: options.now } : {}),
      },
    );
    closers.push(async () => {
      await issuer.app.close();
      await revocation.close();
      connection.disconnect();
    });
    return { issuer, revocation };
  }

  let verifier: Verifier;
  let node: Node | undefined;
  const primary = (): Node => {
    if (!node) throw new Error("no issuer yet");
    return node;
  };

  async function exchange(issuer: TestIssuer, pat: string): Promise<{ status: number; jwt?: string }> {
    const response = await issuer.app.inject({
      method: "POST",
      url: "/token",
      headers: { authorization: `Bearer ${pat}` },
    });
    return {
      status: response.statusCode,
      ...(response.statusCode === 200 ? { jwt: response.json().access_token } : {}),
    };
  }

  async function verdict(jwt: string): Promise<"accepted" | string> {
    try {
      await verifier.verify(jwt);
      return "accepted";
    } catch (error) {
      if (error instanceof VerifierError) return error.code;
      throw error;
    }
  }

  /** The verifier denies `jwt` once the revocation has reached it (milliseconds); never accepting it for good. */
  async function deniedSoon(jwt: string): Promise<void> {
    let seen = "";
    await until(
      async () => {
        seen = await verdict(jwt);
        return seen === "token_denied";
      },
      {
        message: () => `a JWT derived from the old state to be denied (still ${seen})`,
        timeoutMs: 3000,
        intervalMs: 5,
      },
    );
  }

  /** Holds the next exchange between its PAT check and its mint: resolves `entered` once it is there; it goes on at `release()`. */
  function holdNextExchange() {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const entered = new Promise<void>((resolve) => {
      afterCheck = async () => {
        resolve();
        await held;
      };
    });
    return { entered, release };
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const TRIALS = 60;

  describe("a PAT revoked while it is being exchanged", () => {
    it("never yields a JWT a verifier accepts, nor a stale cache entry, held mid-exchange or not (both orders)", async () => {
      for (let i = 0; i < TRIALS; i++) {
        const { token, record } = await store.issue({ owner: `held-${i}`, roles: ["read"] });
        if (i % 2 === 0) {
          // The revocation lands after the exchange read the PAT, before it mints.
          const { entered, release } = holdNextExchange();
          const inFlight = exchange(primary().issuer, token);
          await entered;
          await primary().revocation.changes.revokeToken(record.tokenId);
          release();
          const first = await inFlight;
          if (first.jwt) await deniedSoon(first.jwt);
        } else {
          // The other order: the revocation first, then the exchange.
          await primary().revocation.changes.revokeToken(record.tokenId);
          expect((await exchange(primary().issuer, token)).status).toBe(400);
        }
        // Once the revocation has answered, the PAT exchanges no more (no stale cache fill).
        expect((await exchange(primary().issuer, token)).status).toBe(400);
      }
    }, 120_000);

    it("with random timing, cold and cached, every JWT minted from it ends up denied", async () => {
      for (let i = 0; i < TRIALS * 2; i++) {
        const { token, record } = await store.issue({ owner: `random-${i}`, roles: ["read"] });
        const minted: string[] = [];
        if (i % 2 === 0) {
          const warm = await exchange(primary().issuer, token); // fills the PAT cache
          if (warm.jwt) minted.push(warm.jwt);
        }
        // Random jitter on both sides: the race itself, run in both orders.
        const [raced] = await Promise.all([
          sleep(Math.random() * 3).then(() => exchange(primary().issuer, token)),
          sleep(Math.random() * 3).then(() => primary().revocation.changes.revokeToken(record.tokenId)),
        ]);
        if (raced.jwt) minted.push(raced.jwt);
        expect((await exchange(primary().issuer, token)).status).toBe(400);
        for (const jwt of minted) await deniedSoon(jwt);
      }
    }, 120_000);
  });

  describe("a role removed while the PAT is being exchanged", () => {
    it("never leaves the removed role in an accepted JWT", async () => {
      for (let i = 0; i < TRIALS / 2; i++) {
        const { token, record } = await store.issue({ owner: `roles-${i}`, roles: ["read", "write"] });
        const { entered, release } = holdNextExchange();
        const inFlight = exchange(primary().issuer, token);
        await entered;
        await primary().revocation.changes.updateToken(record.tokenId, { roles: { remove: ["write"] } });
        release();
        const first = await inFlight;
        if (first.jwt && (decodeJwt(first.jwt).roles as string[]).includes("write")) await deniedSoon(first.jwt);
        const after = await exchange(primary().issuer, token);
        expect(decodeJwt(after.jwt ?? "").roles).toEqual(["read"]);
        expect(await verdict(after.jwt ?? "")).toBe("accepted");
      }
    }, 120_000);
  });

  describe("an owner revoked while one of their PATs is being exchanged", () => {
    it("never yields an accepted JWT for that owner", async () => {
      for (let i = 0; i < TRIALS / 2; i++) {
        const owner = `owner-${i}`;
        const { token } = await store.issue({ owner, roles: ["read"] });
        const { entered, release } = holdNextExchange();
        const inFlight = exchange(primary().issuer, token);
        await entered;
        await primary().revocation.changes.revokeOwner(owner);
        release();
        const first = await inFlight;
        if (first.jwt) await deniedSoon(first.jwt);
        expect((await exchange(primary().issuer, token)).status).toBe(400);
      }
    }, 60_000);

    it("also revokes the PATs that the owner listing misses (an eventually consistent index)", async () => {
      const blind = await startNode({ store: { ...store, list: async () => ({ items: [] }) } });
      const owner = uniqueName("unlisted");
      const { token } = await store.issue({ owner, roles: ["read"] });
      const before = await exchange(blind.issuer, token);
      expect(before.status).toBe(200);
      const { revoked } = await blind.revocation.changes.revokeOwner(owner);
      expect(revoked).toBe(0); // the listing saw nothing...
      expect((await exchange(blind.issuer, token)).status).toBe(400); // ...and the PAT is revoked all the same
      expect((await exchange(primary().issuer, token)).status).toBe(400);
      await deniedSoon(before.jwt ?? "");
    });
  });

  describe("an issuer whose clock runs a second ahead", () => {
    it("cannot mint a JWT that survives a revocation made through another issuer, and mints valid ones after a restore", async () => {
      const ahead = await startNode({ now: () => Date.now() + 1000 });
      for (let i = 0; i < TRIALS / 2; i++) {
        const { token, record } = await store.issue({ owner: `skew-${i}`, roles: ["read"] });
        const early = await exchange(ahead.issuer, token);
        await primary().revocation.changes.revokeToken(record.tokenId);
        await deniedSoon(early.jwt ?? "");
        await primary().revocation.changes.restoreToken(record.tokenId);
        const restored = await exchange(ahead.issuer, token);
        expect(restored.status).toBe(200);
        expect(await verdict(restored.jwt ?? "")).toBe("accepted");
      }
    }, 60_000);
  });

  // One Redis only: a proxy cannot stand in for a cluster, whose nodes announce their own addresses.
  if (topology === "single")
    describe("an issuer whose Redis connection dies silently (no RST)", () => {
      it("stops serving its cached PATs within seconds, so a revocation made elsewhere holds there too", async () => {
        const proxy = await startBlackholeProxy(redisUrl());
        closers.push(() => proxy.close());
        const cut = await startNode({ redisUrl: proxy.url });
        const { token, record } = await store.issue({ owner: uniqueName("silent"), roles: ["read"] });
        const pending: string[] = [];
        await until(() => cut.revocation.feed.healthy(), {
          message: "the issuer to follow the stream",
          timeoutMs: 5000,
        });
        expect((await exchange(cut.issuer, token)).status).toBe(200);
        expect((await exchange(cut.issuer, token)).status).toBe(200); // cached
        proxy.blackhole();
        const cutAt = Date.now();
        await primary().revocation.changes.revokeToken(record.tokenId); // through a healthy Redis
        // The cut issuer hears nothing; within a few seconds it stops trusting its cache and reads the store.
        await until(
          async () => {
            const answer = await exchange(cut.issuer, token);
            if (answer.jwt) pending.push(answer.jwt);
            return answer.status === 400;
          },
          {
            message: "the cut issuer to stop serving the revoked PAT from its cache",
            timeoutMs: 5000,
            intervalMs: 100,
          },
        );
        // It served from its cache for a moment (a few seconds at most), not at once: the cache was in use.
        expect(Date.now() - cutAt).toBeGreaterThan(100);
        // Whatever it minted meanwhile carries the old revision: every verifier denies it.
        for (const jwt of pending) await deniedSoon(jwt);
      }, 30_000);
    });
});
