import { describe, expect, it } from "vitest";
import { until } from "../../../test/harness/until.js";
import { startPeriodicTask } from "../src/periodic-task.js";

describe("startPeriodicTask", () => {
  it("runs passes one at a time: a tick during a pass is skipped", async () => {
    let active = 0;
    let most = 0;
    let passes = 0;
    let release: () => void = () => {};
    const task = startPeriodicTask(async () => {
      active += 1;
      most = Math.max(most, active);
      passes += 1;
      if (passes === 1) await new Promise<void>((resolve) => (release = resolve));
      active -= 1;
    }, 2);
    await until(() => passes === 1, { message: "the first pass" });
    // A window, not a condition: many ticks go by while the first pass is held open, and none may start a pass.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(passes).toBe(1);
    release();
    await until(() => passes >= 3, { message: "two more passes" });
    task.stop();
    expect(most).toBe(1);
  });

  it("keeps going after a failed pass, and tells onError", async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const task = startPeriodicTask(
      async () => {
        passes += 1;
        if (passes === 1) throw new Error("store away");
      },
      2,
      (error) => errors.push(error),
    );
    await until(() => passes >= 2, { message: "a pass after the failed one" });
    task.stop();
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe("store away");
  });

  it("stops: no pass after stop(), and stop() twice is harmless", async () => {
    let passes = 0;
    const task = startPeriodicTask(async () => {
      passes += 1;
    }, 2);
    await until(() => passes >= 1, { message: "a pass" });
    task.stop();
    task.stop();
    const after = passes;
    // A window, not a condition: what is asserted is that no pass comes in it.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(passes).toBe(after);
  });

  it("starts nothing for an interval of 0", async () => {
    let passes = 0;
    startPeriodicTask(async () => {
      passes += 1;
    }, 0).stop();
    // A window, not a condition: what is asserted is that no pass comes in it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(passes).toBe(0);
  });
});
