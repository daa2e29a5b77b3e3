import { DEFAULT_SCRYPT_PARAMS, formatPat, verifySecret } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { median } from "../../bench/lib/stats.js";
import { testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { freshStore } from "../../packages/issuer/test/tokens/store-fixture.js";

const exchangeOf = (app: Awaited<ReturnType<typeof testIssuer>>["app"], pat: string) =>
  app.inject({ method: "POST", url: "/token", headers: { authorization: `Bearer ${pat}` } });

describe("a missing token and a wrong secret", () => {
  it("cost the same scrypt at the real parameters, take the same time within noise, and read the same", async () => {
    const phcs: string[] = [];
    const { store } = await freshStore(
      { scrypt: DEFAULT_SCRYPT_PARAMS },
      {
        verifySecret: (secret, phc) => {
          phcs.push(phc.split("$").slice(0, 3).join("$"));
          return verifySecret(secret, phc);
        },
      },
    );
    // No PAT cache, so every exchange reaches the store; no lock-out, so every guess does.
    const issuer = await testIssuer(
      { PATGATE_PAT_CACHE_TTL: "0", PATGATE_TOKEN_FAILURE_LIMIT: "1000", PATGATE_ADDRESS_FAILURE_LIMIT: "1000" },
      { store },
    );
    const { record } = await store.issue({ owner: "timing" });
    // Well-formed (right checksum), so both reach the store rather than failing offline.
    const guess = (id: string) => formatPat("pat_", id, Buffer.alloc(32, 7));
    const cases = { wrongSecret: guess(record.tokenId), missing: guess("Z".repeat(21)) };

    const times: Record<keyof typeof cases, number[]> = { wrongSecret: [], missing: [] };
    const bodies = new Set<string>();
    for (let i = 0; i < 16; i++) {
      for (const name of ["wrongSecret", "missing"] as const) {
        const started = performance.now();
        const response = await exchangeOf(issuer.app, cases[name]);
        times[name].push(performance.now() - started);
        expect(response.statusCode).toBe(400);
        bodies.add(response.body);
      }
    }
    expect(bodies.size).toBe(1);
    // One scrypt per attempt, both at the default cost.
    expect(phcs).toHaveLength(32);
    expect(new Set(phcs)).toEqual(new Set([`$scrypt$ln=${DEFAULT_SCRYPT_PARAMS.ln},r=8,p=1`]));
    // Medians of interleaved runs: scrypt (tens of ms) dominates both; a store lookup is noise.
    const ratio = median(times.missing) / median(times.wrongSecret);
    expect(ratio).toBeGreaterThan(0.67);
    expect(ratio).toBeLessThan(1.5);
  }, 60_000);
});

describe("rate limits under a brute-force loop", () => {
  it("lock a token id out at the guessing address after the failure limit, for every further guess", async () => {
    const issuer = await testIssuer({ PATGATE_TOKEN_FAILURE_LIMIT: "5" });
    const { record } = await issuer.store.issue({ owner: "target" });
    const guess = (i: number, remoteAddress: string) =>
      issuer.app.inject({
        method: "POST",
        url: "/token",
        headers: { authorization: `Bearer ${formatPat("pat_", record.tokenId, Buffer.alloc(32, i + 1))}` },
        remoteAddress,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await guess(i, "10.1.0.1")).statusCode);
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses.slice(5)).toEqual(Array(55).fill(429));
    // Hopping within one IPv6 /64 is still one address.
    const hops: number[] = [];
    for (let i = 0; i < 8; i++) hops.push((await guess(i, `2001:db8:1:2::${i + 1}`)).statusCode);
    expect(hops).toEqual([400, 400, 400, 400, 400, 429, 429, 429]);
  });

  it("cut one address off after the per-address failure limit, whatever the token ids", async () => {
    const issuer = await testIssuer({ PATGATE_ADDRESS_FAILURE_LIMIT: "20" });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const { record } = await issuer.store.issue({ owner: `spray-${i}` });
      const response = await issuer.app.inject({
        method: "POST",
        url: "/token",
        headers: { authorization: `Bearer ${formatPat("pat_", record.tokenId, Buffer.alloc(32, 9))}` },
        remoteAddress: "10.2.0.1",
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(400));
    expect(statuses.slice(20)).toEqual(Array(10).fill(429));
  });

  it("cut one IP off after the per-IP limit, on /token and /revoke", async () => {
    const issuer = await testIssuer({ PATGATE_RATE_LIMIT: "20" });
    for (const url of ["/token", "/revoke"]) {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const response = await issuer.app.inject({
          method: "POST",
          url,
          payload: { token: `guess-${i}` },
          remoteAddress: url === "/token" ? "192.0.2.1" : "192.0.2.2",
        });
        statuses.push(response.statusCode);
      }
      expect(statuses.slice(0, 20).every((s) => s !== 429)).toBe(true);
      expect(statuses.slice(20)).toEqual(Array(10).fill(429));
    }
  });
});
