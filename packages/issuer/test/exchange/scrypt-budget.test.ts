import type { SecretCheck } from "@patgate/shared";
import { describe, expect, it } from "vitest";
import { createScryptBudget, ScryptBusyError } from "../../src/exchange/scrypt-budget.js";

/** A secret check that finishes only when the test says so, on a clock the test moves. */
function held() {
  const pending: ((check: SecretCheck) => void)[] = [];
  let time = 0;
  return {
    verify: () => new Promise<SecretCheck>((resolve) => pending.push(resolve)),
    clock: () => time,
    advance: (ms: number) => {
      time += ms;
    },
    /** Finishes the oldest running check. */
    finish: async () => {
      pending.shift()?.({ ok: true });
      await new Promise((resolve) => setImmediate(resolve));
    },
    get running() {
      return pending.length;
    },
  };
}

const SECRET = new Uint8Array(32);

describe("the scrypt budget", () => {
  it("runs at most `concurrency` checks at once, the rest in order", async () => {
    const h = held();
    const budget = createScryptBudget({ concurrency: 2, maxWaitMs: 1000, verifySecret: h.verify, clock: h.clock });
    const order: number[] = [];
    const calls = [1, 2, 3, 4].map((n) => budget.verifySecret(SECRET, "phc").then(() => order.push(n)));
    expect(h.running).toBe(2);
    expect(budget.state()).toMatchObject({ running: 2, queued: 2 });
    for (let i = 0; i < 4; i++) await h.finish();
    await Promise.all(calls);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(budget.state()).toMatchObject({ running: 0, queued: 0 });
  });

  it("sheds at once, with Retry-After, a check whose expected wait passes the bound", async () => {
    const h = held();
    let shed = 0;
    const budget = createScryptBudget({
      concurrency: 2,
      maxWaitMs: 1000,
      initialEstimateMs: 100,
      verifySecret: h.verify,
      clock: h.clock,
      onShed: () => shed++,
    });
    // 2 running, then rounds of 2 queued at 100 ms each: the 10th round waits 1000 ms, the 11th would wait 1100.
    const admitted = Array.from({ length: 22 }, () => budget.verifySecret(SECRET, "phc"));
    const refused = budget.verifySecret(SECRET, "phc");
    await expect(refused).rejects.toBeInstanceOf(ScryptBusyError);
    await expect(refused).rejects.toMatchObject({ code: "scrypt_busy", retryAfterSeconds: 2 });
    // Asked beforehand, it says the same, without queueing anything.
    expect(budget.retryAfter()).toBe(2);
    expect(shed).toBe(2);
    expect(budget.state()).toMatchObject({ running: 2, queued: 20 });
    for (let i = 0; i < 22; i++) await h.finish();
    await Promise.all(admitted);
    expect(budget.retryAfter()).toBe(0);
  });

  it("learns how long a check takes, and counts a late one by its age (a stalled thread pool)", async () => {
    const h = held();
    const budget = createScryptBudget({
      concurrency: 1,
      maxWaitMs: 1000,
      initialEstimateMs: 10,
      verifySecret: h.verify,
      clock: h.clock,
    });
    const first = budget.verifySecret(SECRET, "phc");
    h.advance(400);
    expect(budget.state().estimateMs).toBe(400); // running for 400 ms: it is at least that slow
    const second = budget.verifySecret(SECRET, "phc"); // expected wait 400 ms: admitted
    h.advance(300);
    // One queued ahead, the running one 700 ms old: 2 rounds × 700 ms > 1000 ms.
    await expect(budget.verifySecret(SECRET, "phc")).rejects.toMatchObject({ retryAfterSeconds: 2 });
    await h.finish();
    await first;
    expect(budget.state().estimateMs).toBeCloseTo(10 + 0.2 * (700 - 10));
    await h.finish();
    await second;
  });

  it("sheds a queued check whose turn has not come within the bound", async () => {
    const h = held();
    const budget = createScryptBudget({ concurrency: 1, maxWaitMs: 50, verifySecret: h.verify, initialEstimateMs: 1 });
    const running = budget.verifySecret(SECRET, "phc");
    const started = performance.now();
    await expect(budget.verifySecret(SECRET, "phc")).rejects.toBeInstanceOf(ScryptBusyError);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(budget.state()).toMatchObject({ running: 1, queued: 0 });
    await h.finish();
    await running;
  });

  it("checks its options when built", () => {
    expect(() => createScryptBudget({ concurrency: 0 })).toThrow(RangeError);
    expect(() => createScryptBudget({ concurrency: 1.5 })).toThrow(RangeError);
    expect(() => createScryptBudget({ maxWaitMs: 0 })).toThrow(RangeError);
  });
});
