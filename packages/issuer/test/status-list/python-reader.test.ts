import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TestIssuer } from "../app-fixture.js";
import { statusIssuer, statusOf } from "./status-fixture.js";

const DOC = resolve(import.meta.dirname, "../../../../docs/status-list.md");

function hasPython(): boolean {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The Python program of the page's curl one-liner (between `python3 -c '` and its closing quote). */
async function onePager(): Promise<string> {
  const text = await readFile(DOC, "utf8");
  const match = /python3 -c '([^']+)' "\$IDX"/.exec(text);
  if (!match?.[1]) throw new Error("docs/status-list.md has no python3 one-liner");
  return match[1];
}

describe.skipIf(!hasPython())("docs/status-list.md: the python3 one-liner", () => {
  let gate: TestIssuer | undefined;
  afterAll(async () => gate?.app.close());

  it("reads VALID, then INVALID after a revocation, from a list the issuer serves", async () => {
    const issuer = await statusIssuer();
    gate = issuer;
    const program = await onePager();
    const { token, record } = await issuer.store.issue({ owner: "py" });
    const { idx, uri } = statusOf(await issuer.exchange(token));
    const read = async () => {
      const list = (await issuer.app.inject({ url: new URL(uri).pathname })).body;
      return execFileSync("python3", ["-c", program, String(idx)], { input: list })
        .toString()
        .trim();
    };
    expect(await read()).toBe("0");
    await issuer.revocation.changes.revokeToken(record.tokenId);
    expect(await read()).toBe("1");
  });
});
