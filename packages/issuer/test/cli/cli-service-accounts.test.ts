import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoEndpoint, uniqueName } from "../../../../test/harness/context.js";
import { createServiceAccountStore } from "../../src/service-accounts/service-account-store.js";
import { ownerTableName } from "../../src/tokens/owner-revisions.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";
import { runMain } from "./cli-process.js";

/**
 * `patgate service-accounts create|list|show|members|delete` on the store
 * and through the admin API, and `patgate tokens create --owner svc:<name>`.
 */
let issuer: TestIssuer;
const backends: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "patgate-cli-svc-"));
  backends.store = {
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    AWS_REGION: "us-east-1",
    PATGATE_TABLE: uniqueName("cli-svc"),
    PATGATE_DATA_DIR: dir,
  };
  expect((await runMain(["table", "create"], backends.store)).code).toBe(0);
  const { store, client, tableName } = await freshStore();
  issuer = await testIssuer(
    {},
    { store, serviceAccounts: createServiceAccountStore(client, ownerTableName(tableName)) },
  );
  const url = await issuer.app.listen({ port: 0, host: "127.0.0.1" });
  const { token } = await store.issue({ owner: "root", isAdmin: true, roles: ["admin"] });
  backends.http = { PATGATE_URL: url, PATGATE_TOKEN: token };
});
afterAll(() => issuer.app.close());

describe.each(["store", "http"])("patgate service-accounts (%s)", (backend) => {
  const run = (...argv: string[]) => runMain(argv, backends[backend] as Record<string, string>);

  it("creates, lists, shows, changes members and deletes, revoking its PATs", async () => {
    const created = await run("service-accounts", "create", "deploy", "--member", "bob", "--member", "alice");
    expect(created).toMatchObject({ code: 0, err: "" });
    expect(created.out).toMatch(/owner:\s+svc:deploy/);
    expect(created.out).toMatch(/members:\s+alice, bob/);
    expect((await run("service-accounts", "list")).out).toContain("svc:deploy  alice,bob");
    const added = await run("service-accounts", "members", "svc:deploy", "--add", "carol", "--json");
    expect(JSON.parse(added.out).members).toEqual(["alice", "bob", "carol"]);
    const removed = await run("service-accounts", "members", "deploy", "--remove", "alice", "--json");
    expect(JSON.parse(removed.out).members).toEqual(["bob", "carol"]);
    expect(JSON.parse((await run("service-accounts", "show", "deploy", "--json")).out).members).toEqual([
      "bob",
      "carol",
    ]);

    const pat = await run("tokens", "create", "--owner", "svc:deploy", "--json");
    expect(pat.code).toBe(0);
    const { tokenId } = JSON.parse(pat.out).record;
    const deleted = await run("service-accounts", "delete", "deploy");
    expect(deleted.out).toBe("deleted svc:deploy; 1 PAT(s) revoked");
    expect(JSON.parse((await run("tokens", "show", tokenId, "--json")).out).isRevoked).toBe(true);
    expect((await run("service-accounts", "list", "--json")).out).not.toContain("svc:deploy");
  });

  it.each([
    [["service-accounts", "show", "ghost"], /no (such )?service account/],
    [["tokens", "create", "--owner", "svc:ghost"], /no (such )?service account/],
    [["service-accounts", "create", "bad name"], /name/],
    [["service-accounts", "create", "x1", "--member", "svc:other"], /members/],
    [["service-accounts", "members", "x1"], /one of --set, --add, --remove or --none/],
    [["service-accounts", "show"], /needs a NAME/],
    [["service-accounts", "rename", "x"], /unknown service-accounts command "rename"/],
  ])("fails with one line: %j", async (argv, message) => {
    const result = await run(...argv);
    expect(result.code).not.toBe(0);
    expect(result.err.split("\n")).toHaveLength(1);
    expect(result.err).toMatch(message);
  });
});
