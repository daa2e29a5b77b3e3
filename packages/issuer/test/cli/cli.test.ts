import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dynamoEndpoint, uniqueName } from "../../../../test/harness/context.js";
import { testIssuer } from "../app-fixture.js";
import { runMain } from "./cli-process.js";

let env: Record<string, string>;

const run = (...argv: string[]) => runMain(argv, env);

beforeAll(async () => {
  env = {
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    AWS_REGION: "us-east-1",
    PATGATE_TABLE: uniqueName("cli"),
    PATGATE_DATA_DIR: await mkdtemp(join(tmpdir(), "patgate-cli-")),
  };
  expect((await run("table", "create")).code).toBe(0);
});

describe("patgate CLI against the configured store", () => {
  it("creates a token (shown once), lists, shows, updates, revokes and restores it", async () => {
    const created = await run(
      "tokens",
      "create",
      "--owner",
      "alice",
      "--role",
      "read",
      "--role",
      "write",
      "--expires",
      "90d",
      "--name",
      "ci",
      "--json",
    );
    expect(created.code).toBe(0);
    const { token, record } = JSON.parse(created.out);
    expect(token).toMatch(/^pat_/);
    expect(record).toMatchObject({ owner: "alice", roles: ["read", "write"], name: "ci" });
    expect(record.expiresAt - Date.now() / 1000).toBeGreaterThan(89 * 86_400);

    const human = await run("tokens", "create", "--owner", "bob", "--admin");
    expect(human.out).toMatch(/shown once/);
    expect(human.out).toMatch(/admin\s+yes/);

    const list = await run("tokens", "list", "--owner", "alice", "--json");
    expect(JSON.parse(list.out).items.map((r: { tokenId: string }) => r.tokenId)).toEqual([record.tokenId]);
    const table = await run("tokens", "list");
    expect(table.out).toMatch(/TOKEN ID\s+OWNER/);
    expect(table.out).toContain(record.tokenId);
    expect(table.out).not.toContain(token);

    const shown = await run("tokens", "show", record.tokenId);
    expect(shown.out).toMatch(/owner\s+alice/);

    const updated = await run(
      "tokens",
      "update",
      record.tokenId,
      "--remove-role",
      "write",
      "--expires",
      "30d",
      "--json",
    );
    expect(JSON.parse(updated.out).record).toMatchObject({ roles: ["read"] });
    expect(JSON.parse(updated.out).record.expiresAt).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
    // The lifetime policy (366d by default): no PAT that never expires.
    const never = await run("tokens", "update", record.tokenId, "--expires", "never");
    expect(never.code).not.toBe(0);
    expect(never.err.trim().split("\n")).toHaveLength(1);
    expect(never.err).toMatch(/PATGATE_MAX_TOKEN_LIFETIME/);

    const revoked = await run("tokens", "revoke", record.tokenId, "--json");
    expect(JSON.parse(revoked.out).record.isRevoked).toBe(true);
    expect((await run("tokens", "show", record.tokenId)).out).toMatch(/status\s+revoked/);
    const restored = await run("tokens", "restore", record.tokenId, "--json");
    expect(JSON.parse(restored.out).record.isRevoked).toBe(false);
  });

  it("rotates keys", async () => {
    const rotated = await run("keys", "rotate", "--json");
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.out)).toHaveProperty("kid");
  });

  it.each([
    [["tokens", "create"], /--owner/, 2],
    [["tokens", "create", "--owner", "x", "--expires", "soon"], /--expires/, 2],
    [["tokens", "show"], /exactly one token id/, 2],
    [["tokens", "show", "AAAAAAAAAAAAAAAAAAAAA"], /no token/, 1],
    [["tokens", "show", "bad"], /tokenId/, 1],
    [["tokens", "update", "AAAAAAAAAAAAAAAAAAAAA"], /at least one change/, 2],
    [["tokens", "update", "AAAAAAAAAAAAAAAAAAAAA", "--role", "a", "--add-role", "b"], /only one of/, 2],
    [["tokens", "frobnicate"], /unknown tokens command/, 2],
    [["tokens", "list", "--bogus"], /bogus/, 2],
    [["nonsense"], /unknown command/, 2],
    [["table", "drop"], /unknown table command/, 2],
  ])("%j fails with one line and a non-zero exit", async (argv, message, code) => {
    const result = await run(...argv);
    expect(result.code).toBe(code);
    expect(result.err).toMatch(message);
    expect(result.err.split("\n")).toHaveLength(1);
    expect(result.err.startsWith("patgate: ")).toBe(true);
  });

  it("fails with one line on a bad environment value", async () => {
    const saved = env;
    env = { ...env, PATGATE_JWT_TTL: "forever" };
    const result = await run("tokens", "list");
    env = saved;
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/^patgate: PATGATE_JWT_TTL/);
  });

  it("fails with one line when PATGATE_URL is unreachable", async () => {
    const saved = env;
    env = { ...env, PATGATE_URL: "http://127.0.0.1:1", PATGATE_TOKEN: "pat_x" };
    const result = await run("tokens", "list");
    env = saved;
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/unreachable/);
  });

  it("asks for the admin audience itself when it talks to an issuer with an admin PAT", async () => {
    const issuer = await testIssuer({ PATGATE_ADMIN_AUDIENCE: "ops-console" });
    const url = await issuer.app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const { token: adminPat } = await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["ops"] });
      const saved = env;
      env = { ...env, PATGATE_URL: url, PATGATE_TOKEN: adminPat, PATGATE_ADMIN_AUDIENCE: "ops-console" };
      const created = await run("tokens", "create", "--owner", "via-http", "--json");
      env = saved;
      expect(created.err).toBe("");
      expect(created.code).toBe(0);
      expect(JSON.parse(created.out).record.owner).toBe("via-http");
      expect(issuer.audit.find((e) => e.action === "token.create")?.actor).toMatch(/^root \(/);
    } finally {
      await issuer.app.close();
    }
  });

  it("prints help", async () => {
    const result = await run("help");
    expect(result.code).toBe(0);
    expect(result.out).toContain("patgate tokens create");
  });
});
