import { type ChildProcess, execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISSUER_BIN, spawnPatgate, untilServing } from "../harness/child-process.js";
import { dynamoEndpoint, redisUrl, uniqueName } from "../harness/context.js";
import { freePort } from "../harness/free-port.js";
import { initialAdminPat } from "../harness/issuer-admin.js";

const run = promisify(execFile);

let server: ChildProcess;
let baseUrl: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
/** What the issuer has printed so far. */
let output: () => string;

beforeAll(async () => {
  const port = await freePort();
  dataDir = await mkdtemp(join(tmpdir(), "patgate-e2e-"));
  baseUrl = `http://127.0.0.1:${port}`;
  env = {
    PATH: process.env.PATH,
    PORT: String(port),
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    AWS_REGION: "us-east-1",
    PATGATE_TABLE: uniqueName("e2e"),
    REDIS_URL: redisUrl(),
    PATGATE_REDIS_PREFIX: uniqueName("e2e"),
    PATGATE_DATA_DIR: dataDir,
    PATGATE_LOG_LEVEL: "info",
  };
  const watched = spawnPatgate(["serve"], env);
  server = watched.child;
  output = watched.output;
  await untilServing(watched, `${baseUrl}/readyz`, "the issuer to start");
}, 90_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill("SIGKILL");
    await once(server, "exit");
  }
});

async function cli(...args: string[]): Promise<string> {
  const token = await initialAdminPat(dataDir);
  const { stdout } = await run(process.execPath, [ISSUER_BIN, ...args], {
    env: { ...env, PATGATE_URL: baseUrl, PATGATE_TOKEN: token },
  });
  return stdout;
}

async function exchange(pat: string): Promise<Response> {
  return fetch(`${baseUrl}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: pat,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
    }),
  });
}

describe("the issuer as a real process", () => {
  it("keeps the initial admin token in a 0600 file and, stdout not being a terminal, logs where instead of printing it", async () => {
    const path = join(dataDir, "initial-admin-token");
    const token = (await readFile(path, "utf8")).trim();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(output()).not.toContain(token);
    const told = output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { initialAdminTokenFile?: string });
    expect(told.filter((line) => line.initialAdminTokenFile === path)).toHaveLength(1);
  });

  it("creates a PAT with the CLI, exchanges it, and the JWT verifies with plain jose against the served JWKS", async () => {
    const created = JSON.parse(await cli("tokens", "create", "--owner", "e2e-user", "--role", "read", "--json"));
    const response = await exchange(created.token);
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    const jwks = createRemoteJWKSet(new URL(`${baseUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(access_token, jwks, {
      issuer: baseUrl,
      audience: "patgate",
      typ: "at+jwt",
    });
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload).toMatchObject({
      sub: "e2e-user",
      client_id: created.record.tokenId,
      roles: ["read"],
      scope: "read",
    });

    await cli("tokens", "revoke", created.record.tokenId);
    const after = await exchange(created.token);
    expect(after.status).toBe(400);
    expect(await after.json()).toMatchObject({ error: "invalid_request", error_code: "subject_revoked" });
  });

  it("never logs a token", async () => {
    const token = await initialAdminPat(dataDir);
    const logLines = output()
      .split("\n")
      .filter((line) => line.startsWith("{"));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("\n")).not.toContain(token);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    const exited = once(server, "exit");
    server.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
  });
});
