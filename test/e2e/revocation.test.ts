import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnWatched, untilPrinted } from "../harness/child-process.js";
import { dynamoEndpoint, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { adminJwtOver, initialAdminPat } from "../harness/issuer-admin.js";
import { TOPOLOGIES, type TopologyRedis, topologyRedis } from "../harness/topology.js";
import { until } from "../harness/until.js";

// The issuer, Redis and three instances of the example service as real processes.
const BIN = resolve(import.meta.dirname, "../../packages/issuer/dist/cli/bin.js");
const SERVICE = resolve(import.meta.dirname, "../../examples/fastify-service.mjs");
const WALKTHROUGH = resolve(import.meta.dirname, "../../examples/walkthrough.mjs");
const VERIFIERS = 3;
const README = await readFile(resolve(import.meta.dirname, "../../README.md"), "utf8");

/** A line of the README's walkthrough output as a pattern: the words as shown, the run's own values free. */
function shownLine(line: string): RegExp {
  const [, step = "", text = line] = /^(\d\. )?(.*)$/.exec(line) ?? [];
  const pattern = text
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replace(/http:\/\/127\\\.0\\\.0\\\.1:\d+/g, "http://[^/ ]+")
    .replace(/…/g, "\\S+")
    .replace(/propagation: \w+/, "propagation: (confirmed|pending)")
    .replace(/\d+(\\\.\d+)?(?= (characters|ms))/g, "\\d+(\\.\\d+)?");
  return new RegExp(`^${step.replace(".", "\\.")}${pattern}$`);
}

// Against one Redis and against a Redis Cluster (six nodes of this file's own).
describe.each(TOPOLOGIES)("on %s Redis", (topology) => {
  const children: ChildProcess[] = [];
  let issuerUrl: string;
  let adminJwt: string;
  let adminPat: string;
  let redisPrefix: string;
  const serviceUrls: string[] = [];

  async function startProcess(args: string[], env: NodeJS.ProcessEnv, readyText: string): Promise<ChildProcess> {
    const watched = spawnWatched(process.execPath, args, env);
    children.push(watched.child);
    await untilPrinted(watched, readyText, `the process to print ${readyText}`);
    return watched.child;
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

  /** A JWT for `pat`: the shortcut (default audience), or an RFC 8693 form asking for `audience`. */
  async function exchange(pat: string, audience?: string): Promise<string> {
    const response =
      audience === undefined
        ? await fetch(`${issuerUrl}/token`, { method: "POST", headers: { authorization: `Bearer ${pat}` } })
        : await fetch(`${issuerUrl}/token`, {
            method: "POST",
            body: new URLSearchParams({
              grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
              subject_token: pat,
              subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
              audience,
            }),
          });
    const body = (await response.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`exchange failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async function statuses(jwt: string): Promise<number[]> {
    return Promise.all(
      serviceUrls.map(
        async (url) => (await fetch(`${url}/me`, { headers: { authorization: `Bearer ${jwt}` } })).status,
      ),
    );
  }

  /** Waits until every verifier answers `status` for `jwt` (revocations arrive within milliseconds; the bound is generous). */
  async function expectEverywhere(jwt: string, status: number): Promise<void> {
    await until(async () => (await statuses(jwt)).every((s) => s === status), {
      message: `${status} from every verifier`,
      timeoutMs: 5000,
    });
  }

  async function pat(owner: string, roles: string[] = ["read"]): Promise<{ token: string; tokenId: string }> {
    const created = await api("POST", "/admin/tokens", { owner, roles });
    return { token: created.token as string, tokenId: (created.record as { tokenId: string }).tokenId };
  }

  let redis: TopologyRedis;

  beforeAll(async () => {
    redis = await topologyRedis(topology);
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-rev-"));
    const prefix = uniqueName("rev");
    redisPrefix = prefix;
    issuerUrl = `http://127.0.0.1:${port}`;
    await startProcess(
      [BIN, "serve"],
      {
        PORT: String(port),
        DYNAMODB_ENDPOINT: dynamoEndpoint(),
        AWS_REGION: "us-east-1",
        PATGATE_TABLE: uniqueName("rev"),
        ...redis.env,
        PATGATE_REDIS_PREFIX: prefix,
        PATGATE_DATA_DIR: dataDir,
      },
      "patgate issuer listening",
    );
    adminPat = await initialAdminPat(dataDir);
    adminJwt = await adminJwtOver(issuerUrl, adminPat);
    for (let i = 0; i < VERIFIERS; i++) {
      const servicePort = await freePort();
      const env = {
        PATGATE_ISSUER: issuerUrl,
        ...redis.env,
        PATGATE_REDIS_PREFIX: prefix,
        PORT: String(servicePort),
      };
      await startProcess([SERVICE], env, "Server listening");
      serviceUrls.push(`http://127.0.0.1:${servicePort}`);
    }
  }, 120_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    }
    await redis?.stop();
  });

  describe("revocation reaches every verifier process", () => {
    it("revoking a PAT denies its JWTs everywhere and spares others", async () => {
      const victim = await pat("rv-alice");
      const bystander = await pat("rv-bob");
      const denied = await exchange(victim.token);
      const kept = await exchange(bystander.token);
      await expectEverywhere(denied, 200);
      const result = await api("POST", `/admin/tokens/${victim.tokenId}/revoke`);
      expect(result.propagation).toBe("confirmed");
      await expectEverywhere(denied, 401);
      await expectEverywhere(kept, 200);
    });

    it("revoking an owner denies every JWT of that owner", async () => {
      const first = await pat("rv-carol");
      const second = await pat("rv-carol");
      const jwts = [await exchange(first.token), await exchange(second.token)];
      const other = await exchange((await pat("rv-dave")).token);
      expect((await api("POST", "/admin/owners/rv-carol/revoke")).revoked).toBe(2);
      for (const jwt of jwts) await expectEverywhere(jwt, 401);
      await expectEverywhere(other, 200);
    });

    it("removing a role denies the JWTs minted before, and accepts a new one", async () => {
      const { token, tokenId } = await pat("rv-erin", ["read", "write"]);
      const before = await exchange(token);
      await expectEverywhere(before, 200);
      await api("PATCH", `/admin/tokens/${tokenId}`, { roles: { remove: ["write"] } });
      await expectEverywhere(before, 401);
      const after = await exchange(token);
      expect(decodeJwt(after).roles).toEqual(["read"]);
      await expectEverywhere(after, 200);
    });

    it("denying one jti denies that JWT only", async () => {
      const { token } = await pat("rv-fay");
      const one = await exchange(token);
      const two = await exchange(token);
      await api("POST", "/admin/jwts/revoke", { jti: decodeJwt(one).jti });
      await expectEverywhere(one, 401);
      await expectEverywhere(two, 200);
    });

    it("reports the revocations as propagated", async () => {
      const { items, pending } = (await api("GET", "/admin/revocations")) as {
        items: { state: string }[];
        pending: number;
      };
      expect(items.length).toBeGreaterThanOrEqual(4);
      expect(pending).toBe(0);
      expect(items.every((item) => item.state === "propagated")).toBe(true);
    });
  });

  describe("the README's walkthrough (examples/walkthrough.mjs)", () => {
    it("creates a PAT, exchanges it, calls the service, revokes it and sees the call fail", async () => {
      const child = spawn(process.execPath, [WALKTHROUGH], {
        env: {
          PATH: process.env.PATH,
          PATGATE_URL: issuerUrl,
          SERVICE_URL: serviceUrls[0],
          PATGATE_TOKEN: adminPat,
          PATGATE_REDIS_PREFIX: redisPrefix,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      const [code] = await once(child, "exit");
      expect(output).toContain("3. GET");
      expect(output).toMatch(/5\. GET .* -> 401 invalid_token/);
      expect(output).toMatch(/6\. exchanging the PAT again -> invalid_request: subject_token is revoked/);
      expect(code).toBe(0);
      // Line for line what the README shows under "The whole story"; token ids (…), lengths,
      // times, addresses and the propagation state are this run's own.
      const shown = [...README.matchAll(/^# (\d\. .*|walkthrough complete)$/gm)].map(([, line = ""]) => line);
      expect(shown).toHaveLength(7);
      expect(output.trimEnd().split("\n")).toEqual(shown.map((line) => expect.stringMatching(shownLine(line))));
    });
  });
});
