import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dynamoEndpoint, uniqueName } from "../../../../test/harness/context.js";
import { runMain } from "./cli-process.js";

let env: Record<string, string>;

const run = (...argv: string[]) => runMain(argv, env);

beforeAll(async () => {
  env = {
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    AWS_REGION: "us-east-1",
    PATGATE_TABLE: uniqueName("cli-life"),
    PATGATE_DATA_DIR: await mkdtemp(join(tmpdir(), "patgate-cli-")),
  };
  expect((await run("table", "create")).code).toBe(0);
});

describe("patgate tokens rotate and allow-lists", () => {
  it("rotates with a grace period, prints the new token once, and takes a pasted PAT for its id", async () => {
    const created = JSON.parse((await run("tokens", "create", "--owner", "ops", "--json")).out);
    const rotated = await run("tokens", "rotate", created.token, "--grace", "1h", "--json");
    expect(rotated.code).toBe(0);
    const body = JSON.parse(rotated.out);
    expect(body.token).toMatch(new RegExp(`^pat_${created.record.tokenId}\\.`));
    expect(body.token).not.toBe(created.token);
    expect(body.record.previousSecretExpiresAt - Date.now() / 1000).toBeGreaterThan(3500);
    const text = await run("tokens", "rotate", created.record.tokenId);
    expect(text.out).toMatch(/old secret no longer works/);
    expect(text.out).toContain(`pat_${created.record.tokenId}.`);
  });

  it.each([
    ["--grace", "8d"],
    ["--grace", "90"],
    ["--grace", "-1h"],
  ])("refuses %s %s in one line", async (flag, value) => {
    const created = JSON.parse((await run("tokens", "create", "--owner", "ops2", "--json")).out);
    const answer = await run("tokens", "rotate", created.record.tokenId, flag, value);
    expect(answer.code).not.toBe(0);
    expect(answer.err.trim().split("\n")).toHaveLength(1);
  });

  it("sets, replaces and removes an IP allow-list", async () => {
    const created = await run(
      "tokens",
      "create",
      "--owner",
      "net",
      "--allow-ip",
      "10.0.0.0/8",
      "--allow-ip",
      "2001:db8::/32",
      "--json",
    );
    const { record } = JSON.parse(created.out);
    expect(record.allowedIps).toEqual(["10.0.0.0/8", "2001:db8::/32"]);
    const replaced = JSON.parse(
      (await run("tokens", "update", record.tokenId, "--allow-ip", "192.0.2.0/24", "--json")).out,
    );
    expect(replaced.record.allowedIps).toEqual(["192.0.2.0/24"]);
    const cleared = JSON.parse((await run("tokens", "update", record.tokenId, "--any-ip", "--json")).out);
    expect(cleared.record.allowedIps).toBeUndefined();
    const bad = await run("tokens", "update", record.tokenId, "--allow-ip", "10.0.0.0/99");
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/allowedIps/);
  });
});
