import { verifySecret } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { createTokenClient } from "../../packages/client/src/index.js";
import { createScryptBudget } from "../../packages/issuer/src/exchange/scrypt-budget.js";
import { testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { freshStore } from "../../packages/issuer/test/tokens/store-fixture.js";

type Issuer = Awaited<ReturnType<typeof testIssuer>>;

/** The client's fetch, answered by the app in process, every request from one address (a fleet behind one NAT). */
function fetchFrom(issuer: Issuer, remoteAddress: string): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const response = await issuer.app.inject({
      method: "POST",
      url: url.pathname,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      payload: String(init?.body ?? ""),
      remoteAddress,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers))
      if (value !== undefined) headers.set(name, String(value));
    return new Response(response.body, { status: response.statusCode, headers });
  }) as typeof fetch;
}

describe("a burst of honest first exchanges from one address", () => {
  it("is fully served with the client's own retries: shed work gives its cold-exchange budget back", async () => {
    // scrypt as slow as on a small VM (~30 ms), one at a time, so most of the burst is shed with 503 at first.
    let shed = 0;
    const budget = createScryptBudget({
      concurrency: 1,
      maxWaitMs: 1000,
      onShed: () => shed++,
      verifySecret: async (secret, phc) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return verifySecret(secret, phc);
      },
    });
    const { store } = await freshStore({ verifySecret: budget.verifySecret });
    // Default limits: 60 cold exchanges per minute per address.
    const issuer = await testIssuer({}, { store, scrypt: budget });
    const pats = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => (await store.issue({ owner: `ci-${i}`, roles: ["read"] })).token),
    );
    const fetch = fetchFrom(issuer, "10.50.0.1");
    const started = Date.now();
    const results = await Promise.allSettled(
      pats.map((pat) => createTokenClient({ issuer: "https://issuer.test", pat, fetch }).getToken()),
    );
    const failed = results.filter((result) => result.status === "rejected");
    expect(failed.map((result) => String((result as PromiseRejectedResult).reason))).toEqual([]);
    expect(shed).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
