import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, generateProof } from "dpop";
import { calculateJwkThumbprint, exportJWK, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { dynamoEndpoint, uniqueName } from "../../../../test/harness/context.js";
import { runMain } from "./cli-process.js";

let env: Record<string, string>;
let dir: string;

const run = (...argv: string[]) => runMain(argv, env);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "patgate-cli-dpop-"));
  env = {
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    AWS_REGION: "us-east-1",
    PATGATE_TABLE: uniqueName("cli"),
    PATGATE_DATA_DIR: dir,
  };
  expect((await run("table", "create")).code).toBe(0);
});

describe("patgate dpop keygen", () => {
  it("writes a private JWK with mode 0600 and prints its public thumbprint", async () => {
    const path = join(dir, "key.jwk");
    const made = await run("dpop", "keygen", "--out", path, "--json");
    expect(made.code).toBe(0);
    const { jkt, publicJwk } = JSON.parse(made.out);
    expect(publicJwk.d).toBeUndefined();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const privateJwk = JSON.parse(await readFile(path, "utf8"));
    expect(privateJwk.d).toEqual(expect.any(String));
    expect(await calculateJwkThumbprint(privateJwk)).toBe(jkt);
    // The file signs proofs whose key has that thumbprint.
    const privateKey = await importJWK(privateJwk, "ES256");
    expect(privateKey).toBeDefined();
    const human = await run("dpop", "keygen", "--out", join(dir, "second.jwk"));
    expect(human.out).toMatch(/mode 0600/);
    expect(human.out.trim().split("\n").at(-1)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses to overwrite an existing file, and leaves it as it was", async () => {
    const path = join(dir, "taken.jwk");
    await writeFile(path, "keep me");
    const refused = await run("dpop", "keygen", "--out", path);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/exists; refusing to overwrite/);
    expect(await readFile(path, "utf8")).toBe("keep me");
  });

  it("refuses an unknown subcommand", async () => {
    expect((await run("dpop", "nope")).code).toBe(2);
    expect((await run("dpop", "--help")).out).toMatch(/^usage: patgate dpop keygen/);
  });
});

describe("patgate tokens create with a key binding", () => {
  it("binds by thumbprint, by public JWK file and on first use", async () => {
    const keyPair = await generateKeyPair("ES256");
    const publicJwk = await exportJWK(keyPair.publicKey);
    const jkt = await calculateJwkThumbprint(publicJwk);
    const byJkt = await run("tokens", "create", "--owner", "ci", "--dpop-jkt", jkt, "--json");
    expect(JSON.parse(byJkt.out).record.dpopJkt).toBe(jkt);

    const file = join(dir, "public.jwk");
    await writeFile(file, JSON.stringify(publicJwk));
    const byKey = await run("tokens", "create", "--owner", "ci", "--dpop-key", file);
    expect(byKey.out).toMatch(new RegExp(`dpop key\\s+${jkt}`));

    const firstUse = await run("tokens", "create", "--owner", "ci", "--dpop-first-use", "--json");
    expect(JSON.parse(firstUse.out).record.dpopBindOnFirstUse).toBe(true);
    // A proof from that key is what the issuer will ask for; the CLI never needs the private key.
    expect(await generateProof(keyPair, "https://issuer.test/token", "POST")).toMatch(/\./);
  });

  it("refuses a bad thumbprint, a private key file and two bindings at once", async () => {
    expect((await run("tokens", "create", "--owner", "ci", "--dpop-jkt", "short")).code).toBe(2);
    const privateFile = join(dir, "key.jwk");
    const refused = await run("tokens", "create", "--owner", "ci", "--dpop-key", privateFile);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/private key/);
    const both = await run("tokens", "create", "--owner", "ci", "--dpop-first-use", "--dpop-jkt", "x".repeat(43));
    expect(both.code).toBe(2);
  });
});
