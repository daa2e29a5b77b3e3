import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dynamoEndpoint, uniqueName } from "../../../../test/harness/context.js";
import { shortDetail } from "../../src/cli/authorization-flags.js";
import { typesFile } from "../authorization/types-fixture.js";
import { runMain } from "./cli-process.js";

/** `patgate tokens create|update` with RFC 9396 details, on the store, checked against the types file. */
let env: Record<string, string>;
let dir: string;
const run = (...argv: string[]) => runMain(argv, env);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "patgate-cli-authz-"));
  env = {
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    AWS_REGION: "us-east-1",
    PATGATE_TABLE: uniqueName("cli"),
    PATGATE_DATA_DIR: dir,
    PATGATE_AUTHORIZATION_TYPES: await typesFile(),
  };
  expect((await run("table", "create")).code).toBe(0);
});

describe("the --authorize short form", () => {
  it("reads type, actions, locations and identifier", () => {
    expect(shortDetail("repository:read,write@acme/api,acme/web")).toEqual({
      type: "repository",
      actions: ["read", "write"],
      locations: ["acme/api", "acme/web"],
    });
    expect(shortDetail("billing:read#acct-7")).toEqual({ type: "billing", actions: ["read"], identifier: "acct-7" });
    expect(() => shortDetail("repository")).toThrow(/TYPE:ACTION/);
  });
});

describe("patgate tokens with authorization details", () => {
  it("creates from a file and from the short form, shows them, and replaces or clears them", async () => {
    const file = join(dir, "read-api.json");
    await writeFile(file, JSON.stringify([{ type: "repository", actions: ["read"], locations: ["acme/api"] }]));
    const fromFile = await run("tokens", "create", "--owner", "ci", "--authorization-details", file, "--json");
    expect(fromFile.code).toBe(0);
    const { record } = JSON.parse(fromFile.out);
    expect(record.authorizationDetails).toEqual([{ type: "repository", actions: ["read"], locations: ["acme/api"] }]);

    const short = await run("tokens", "create", "--owner", "ci", "--authorize", "billing:read#acct-7");
    expect(short.code).toBe(0);
    expect(short.out).toMatch(/authorizes\s+billing:read#acct-7/);

    const updated = await run("tokens", "update", record.tokenId, "--authorize", "repository:read,write@acme/api");
    expect(updated.out).toMatch(/authorizes\s+repository:read,write@acme\/api/);
    const cleared = await run("tokens", "update", record.tokenId, "--clear-authorization-details", "--json");
    expect(JSON.parse(cleared.out).record.authorizationDetails).toBeUndefined();
  });

  it("refuses an undeclared action with one line naming the field, creating nothing", async () => {
    const refused = await run("tokens", "create", "--owner", "nobody", "--authorize", "repository:delete@acme/api");
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/authorizationDetails\[0\]\.actions/);
    expect(refused.err.split("\n")).toHaveLength(1);
    const listed = await run("tokens", "list", "--owner", "nobody", "--json");
    expect(JSON.parse(listed.out).items).toEqual([]);
  });

  it("refuses a file that is not JSON, or both forms at once, before opening the store", async () => {
    const bad = join(dir, "bad.json");
    await writeFile(bad, "repository:read");
    expect((await run("tokens", "create", "--owner", "x", "--authorization-details", bad)).err).toMatch(/is not JSON/);
    const both = await run("tokens", "create", "--owner", "x", "--authorization-details", bad, "--authorize", "a:b");
    expect(both.code).toBe(2);
    expect((await run("tokens", "create", "--owner", "x", "--clear-authorization-details")).code).toBe(2);
  });
});
