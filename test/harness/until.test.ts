import { describe, expect, it } from "vitest";
import { GiveUp, until } from "./until.js";

// The one wait every test relies on: if it passed on a false condition, no test using it could fail.
describe("until", () => {
  it("returns the condition's first truthy value, asking again until then", async () => {
    let asked = 0;
    const value = await until(() => (++asked >= 3 ? { asked } : undefined), { message: "three asks", intervalMs: 1 });
    expect(value).toEqual({ asked: 3 });
  });

  it("fails on timeout, naming what it waited for and the last value", async () => {
    let n = 0;
    const never = () => {
      n += 1;
      return false;
    };
    await expect(until(never, { message: "a thing", timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      /^timed out after 30 ms waiting for a thing; last value: false$/,
    );
    expect(n).toBeGreaterThan(1);
  });

  it("asks again after an error, and reports the last error on timeout; the message can be computed then", async () => {
    let state = "starting";
    const waiting = until(
      () => {
        throw new Error("ECONNREFUSED");
      },
      { message: () => `the server (${state})`, timeoutMs: 30, intervalMs: 5 },
    );
    state = "stuck";
    await expect(waiting).rejects.toThrow("waiting for the server (stuck); last error: Error: ECONNREFUSED");
  });

  it("stops at once on GiveUp", async () => {
    const started = Date.now();
    await expect(
      until(
        () => {
          throw new GiveUp("the process exited");
        },
        { message: "never", timeoutMs: 10_000 },
      ),
    ).rejects.toThrow(GiveUp);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
