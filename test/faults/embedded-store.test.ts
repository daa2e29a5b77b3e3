import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, readlink, stat } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { formatPat, hashSecret, newTokenId } from "@patgate/shared";
import { afterAll, describe, expect, it } from "vitest";
import { newItem } from "../../packages/issuer/src/tokens/record.js";
import { FAST_SCRYPT } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { GiveUp, until } from "../harness/until.js";

const BIN = resolve(import.meta.dirname, "../../packages/issuer/dist/cli/bin.js");
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

/** The environment of an embedded issuer or CLI: no DynamoDB, no AWS, no Redis configured. */
function embeddedEnv(dataDir: string, port = 0): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, PORT: String(port), PATGATE_DATA_DIR: dataDir, PATGATE_LOG_LEVEL: "warn" };
}

async function startEmbeddedIssuer(dataDir: string): Promise<{ url: string; port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "serve"], { env: embeddedEnv(dataDir, port), stdio: "ignore" });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await until(
    async () => {
      if (child.exitCode !== null) throw new GiveUp(`the embedded issuer exited (${child.exitCode})`);
      return (await fetch(`${url}/readyz`)).ok;
    },
    { message: "the embedded issuer to start", timeoutMs: 30_000, intervalMs: 50 },
  );
  return { url, port, child };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** The sockets process `pid` listens on: TCP ports (v4 and v6) and Unix socket paths, read from /proc. */
async function listeningSockets(pid: number): Promise<{ tcp: number[]; unix: string[] }> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const tcp: number[] = [];
  for (const table of ["tcp", "tcp6"]) {
    const lines = (await readFile(`/proc/${pid}/net/${table}`, "utf8")).trim().split("\n").slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, the inode is the 10th field.
      if (fields[3] === "0A" && inodes.has(fields[9] ?? ""))
        tcp.push(Number.parseInt(fields[1]?.split(":")[1] ?? "", 16));
    }
  }
  const unix: string[] = [];
  for (const line of (await readFile(`/proc/${pid}/net/unix`, "utf8")).trim().split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    // Flags 00010000 is a listening socket; the inode is the 7th field, the path the 8th.
    if (fields[3] === "00010000" && inodes.has(fields[6] ?? "") && fields[7]) unix.push(fields[7]);
  }
  return { tcp: [...new Set(tcp)], unix };
}

describe("the embedded store (dynalite)", () => {
  it("is reachable by nobody but the issuer: no port, no socket, and a raw PutItem plants nothing", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-embedded-"));
    const issuer = await startEmbeddedIssuer(dataDir);
    const pid = issuer.child.pid as number;

    // A PAT and its record, as an attacker would write them: admin, with a secret they know.
    const secret = Buffer.alloc(32, 9);
    const tokenId = newTokenId();
    const planted = formatPat("pat_", tokenId, secret);
    const at = Math.floor(Date.now() / 1000);
    const item = newItem(
      {
        tokenId,
        owner: "mallory",
        isAdmin: true,
        roles: ["admin"],
        isRevoked: false,
        createdAt: at,
        updatedAt: at,
        revision: 1,
        ownerRevision: 0,
      },
      await hashSecret(secret, FAST_SCRYPT),
    );
    const putItem = async (endpoint: string) => {
      const client = new DynamoDBClient({
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
        maxAttempts: 1,
        requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
      });
      try {
        await DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: "patgate-tokens", Item: item }));
        return "planted";
      } catch (error) {
        return (error as Error).name;
      } finally {
        client.destroy();
      }
    };

    // Every socket the issuer listens on, as any local process can list them.
    const sockets = await listeningSockets(pid);
    const attempts: Record<string, string> = {};
    for (const port of sockets.tcp) attempts[`tcp:${port}`] = await putItem(`http://127.0.0.1:${port}`);
    for (const path of sockets.unix) {
      attempts[`unix:${path}`] = await new Promise<string>((done) => {
        const call = request(
          { socketPath: path, method: "POST", path: "/", headers: { "x-amz-target": "DynamoDB_20120810.PutItem" } },
          (response) => done(`HTTP ${response.statusCode}`),
        );
        call.on("error", (error) => done((error as NodeJS.ErrnoException).code ?? "error"));
        call.end("{}");
      });
    }

    const exchange = await fetch(`${issuer.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: planted,
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
        audience: "patgate-admin",
      }),
    });
    // No socket took the PutItem (the issuer's own port is no DynamoDB endpoint), and the PAT is nobody's.
    expect(Object.entries(attempts).filter(([, outcome]) => outcome === "planted")).toEqual([]);
    expect(exchange.status).toBe(400);
    // The issuer listens on its HTTP port and nothing else.
    expect(sockets).toEqual({ tcp: [issuer.port], unix: [] });
    expect(((await stat(join(dataDir, "dynamodb"))).mode & 0o777).toString(8)).toBe("700");
    await stop(issuer.child);
  }, 60_000);

  it("still serves the CLI's local mode, and the issuer after it, on the same data dir", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "patgate-embedded-cli-"));
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [BIN, ...args], { env: embeddedEnv(dataDir) }).then((r) => r.stdout);
    const created = JSON.parse(await cli("tokens", "create", "--owner", "carol", "--role", "read", "--json"));
    expect(JSON.parse(await cli("tokens", "list", "--json"))).toMatchObject({
      items: [expect.objectContaining({ tokenId: created.record.tokenId, owner: "carol" })],
    });

    const issuer = await startEmbeddedIssuer(dataDir);
    const exchange = await fetch(`${issuer.url}/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${created.token}` },
    });
    expect(exchange.status).toBe(200);
    await stop(issuer.child);
    // The issuer closed the store: the CLI opens it again.
    const shown = JSON.parse(await cli("tokens", "show", created.record.tokenId, "--json"));
    expect(JSON.stringify(shown)).toContain('"owner":"carol"');
  }, 60_000);
});
