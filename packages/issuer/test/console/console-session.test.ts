import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestIssuer, testIssuer } from "../app-fixture.js";
import { signInWithPat } from "./console-client.js";

const MINUTE = 60_000;
let clock = Date.now();
let issuer: TestIssuer;
let adminPat: string;

beforeAll(async () => {
  issuer = await testIssuer({}, { now: () => clock });
  adminPat = (await issuer.store.issue({ owner: "root", isAdmin: true, roles: ["admin"] })).token;
});
afterAll(async () => {
  await issuer.app.close();
});

/** True when the page answers (signed in), false when it sends the browser to sign in. */
async function signedIn(client: Awaited<ReturnType<typeof signInWithPat>>): Promise<boolean> {
  const response = await client.get("/console");
  if (response.statusCode === 303) return false;
  expect(response.statusCode).toBe(200);
  return true;
}

describe("console session lifetimes (the clock is passed in)", () => {
  it("ends a session idle for 30 minutes", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    clock += 29 * MINUTE;
    expect(await signedIn(client)).toBe(true);
    clock += 29 * MINUTE;
    expect(await signedIn(client)).toBe(true);
    clock += 30 * MINUTE;
    expect(await signedIn(client)).toBe(false);
  });

  it("ends a session 8 hours after sign-in, however active", async () => {
    const client = await signInWithPat(issuer.app, adminPat);
    for (let spent = 0; spent < 7 * 60 + 40; spent += 20) {
      clock += 20 * MINUTE;
      expect(await signedIn(client)).toBe(true);
    }
    clock += 20 * MINUTE;
    expect(await signedIn(client)).toBe(false);
  });

  it("ends a session opened with an admin PAT when that PAT is revoked", async () => {
    const { token, record } = await issuer.store.issue({ owner: "ops", isAdmin: true, roles: [] });
    const client = await signInWithPat(issuer.app, token);
    expect(await signedIn(client)).toBe(true);
    await issuer.revocation.changes.revokeToken(record.tokenId);
    expect(await signedIn(client)).toBe(false);
  });
});
