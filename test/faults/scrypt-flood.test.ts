import { randomBytes } from "node:crypto";
import { formatPat, newTokenId, verifySecret } from "@patgate/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createScryptBudget } from "../../packages/issuer/src/exchange/scrypt-budget.js";
import { testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { freshStore } from "../../packages/issuer/test/tokens/store-fixture.js";
import { type HeldThreadPool, holdThreadPool } from "../harness/thread-pool.js";
import { until } from "../harness/until.js";

type Issuer = Awaited<ReturnType<typeof testIssuer>>;

/** A PAT with a valid checksum and a token id nobody issued: it passes every offline check. */
const forged = () => formatPat("pat_", newTokenId(), randomBytes(32));

const exchange = (issuer: Issuer, pat: string, remoteAddress: string) =>
  issuer.app.inject({ method: "POST", url: "/token", headers: { authorization: `Bearer ${pat}` }, remoteAddress });

describe("a flood of forged PATs from one address", () => {
  it("meets 429 slow_down with Retry-After once the address's cold budget is spent; nobody else does", async () => {
    const issuer = await testIssuer({ PATGATE_COLD_EXCHANGES_PER_MINUTE: "10" });
    const { token: warmPat } = await issuer.store.issue({ owner: "warm", roles: ["read"] });
    const { token: coldPat } = await issuer.store.issue({ owner: "cold", roles: ["read"] });
    expect((await exchange(issuer, warmPat, "10.0.0.7")).statusCode).toBe(200);

    const flood = [];
    for (let i = 0; i < 40; i++) flood.push(await exchange(issuer, forged(), "10.0.0.66"));
    expect(flood.slice(0, 10).map((r) => r.statusCode)).toEqual(Array(10).fill(400));
    for (const response of flood.slice(10)) {
      expect(response.statusCode).toBe(429);
      expect(response.json().error).toBe("slow_down");
      expect(Number(response.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    // /revoke checks a PAT with the same scrypt: the same budget.
    const revoke = await issuer.app.inject({
      method: "POST",
      url: "/revoke",
      payload: { token: forged() },
      remoteAddress: "10.0.0.66",
    });
    expect(revoke.statusCode).toBe(429);
    expect(revoke.headers["retry-after"]).toBeDefined();

    // A warm exchange costs no scrypt: served even from the flooding address.
    expect((await exchange(issuer, warmPat, "10.0.0.66")).statusCode).toBe(200);
    // Another address's first exchange is served.
    expect((await exchange(issuer, coldPat, "10.0.0.8")).statusCode).toBe(200);
    // A budget spent on an IPv6 address is spent for its whole /64.
    const v6 = await testIssuer({ PATGATE_COLD_EXCHANGES_PER_MINUTE: "2" });
    const statuses = [];
    for (const host of ["1", "2", "3"])
      statuses.push((await exchange(v6, forged(), `2001:db8:7:7::${host}`)).statusCode);
    expect(statuses).toEqual([400, 400, 429]);
  });
});

describe("when scrypt cannot keep up (a flood from many addresses)", () => {
  let pool: HeldThreadPool | undefined;
  afterEach(async () => {
    await pool?.release();
    pool = undefined;
  });

  it("sheds cold exchanges with a prompt 503 temporarily_unavailable and Retry-After, missing tokens included", async () => {
    const checked: string[] = [];
    let shed = 0;
    const budget = createScryptBudget({
      concurrency: 2,
      maxWaitMs: 300,
      onShed: () => shed++,
      verifySecret: (secret, phc) => {
        checked.push(phc);
        return verifySecret(secret, phc);
      },
    });
    const { store } = await freshStore({ verifySecret: budget.verifySecret });
    // The app knows the budget too: an exchange it would shed does not even read the store.
    const issuer = await testIssuer({}, { store, scrypt: budget });
    const { token, record } = await store.issue({ owner: "victim" });
    const wrongSecret = formatPat("pat_", record.tokenId, randomBytes(32));

    // scrypt runs on libuv's pool: held, every check stalls, as behind a flood of real ones.
    pool = await holdThreadPool();
    const sent = performance.now();
    const answered: { status: number; ms: number; error: string; retryAfter: number }[] = [];
    const requests = Array.from({ length: 24 }, (_, i) =>
      exchange(issuer, i % 2 === 0 ? forged() : wrongSecret, `10.2.0.${i}`).then((response) => {
        answered.push({
          status: response.statusCode,
          ms: performance.now() - sent,
          error: response.json().error,
          retryAfter: Number(response.headers["retry-after"]),
        });
        return response;
      }),
    );
    await until(() => answered.length >= 22, { message: "22 answers", timeoutMs: 5000 });
    // The first two (a missing token id: the dummy check) hold the two scrypt slots; everyone
    // else is told at once, or within the 300 ms bound, to come back later. Nothing waits longer.
    expect(answered).toHaveLength(22);
    for (const answer of answered) {
      expect(answer).toMatchObject({ status: 503, error: "temporarily_unavailable" });
      expect(answer.retryAfter).toBeGreaterThanOrEqual(1);
      expect(answer.ms).toBeLessThan(1000);
    }
    expect(shed).toBe(22);
    expect(checked).toHaveLength(2);
    expect(budget.state()).toMatchObject({ running: 2, queued: 0 });

    await pool.release();
    const all = await Promise.all(requests);
    expect(all.filter((r) => r.statusCode === 400)).toHaveLength(2);
    // Once scrypt is free again, the PAT's holder gets in.
    expect((await exchange(issuer, token, "10.3.0.1")).statusCode).toBe(200);
  });
});
