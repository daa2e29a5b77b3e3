import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { runCli } from "./cli-process.js";

// `patgate tokens list --role R` and `--active` through the admin API, as the
// real CLI process sends them.

let issuer: TestIssuer;
let env: Record<string, string>;
const ids: Record<string, string> = {};

beforeAll(async () => {
  issuer = await testIssuer();
  const url = await issuer.app.listen({ port: 0, host: "127.0.0.1" });
  const { token } = await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["admin"] });
  env = { PATGATE_URL: url, PATGATE_TOKEN: token };
  for (const [name, roles] of [
    ["reader", ["read"]],
    ["writer", ["write"]],
    ["revokedReader", ["read"]],
  ] as const) {
    ids[name] = (await issuer.store.issue({ owner: "lister", roles: [...roles] })).record.tokenId;
  }
  await issuer.store.revoke(ids.revokedReader as string);
});

afterAll(async () => {
  await issuer.app.close();
});

async function listed(...flags: string[]): Promise<string[]> {
  const result = await runCli(["tokens", "list", "--owner", "lister", ...flags, "--json"], env);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout).items as { tokenId: string }[]).map((r) => r.tokenId).sort();
}

describe("patgate tokens list through the admin API", () => {
  it("filters by --role", async () => {
    expect(await listed("--role", "read")).toEqual([ids.reader, ids.revokedReader].sort());
  });

  it("filters by --active", async () => {
    expect(await listed("--active")).toEqual([ids.reader, ids.writer].sort());
  });

  it("combines --role and --active", async () => {
    expect(await listed("--role", "read", "--active")).toEqual([ids.reader]);
  });
});
