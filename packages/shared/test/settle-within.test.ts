import { describe, expect, it } from "vitest";
import { settleWithin } from "../src/index.js";

describe("settleWithin", () => {
  it("answers what the promise settles to in time", async () => {
    await expect(settleWithin(Promise.resolve(7), 1000, () => new Error("late"))).resolves.toBe(7);
    const failure = new Error("refused");
    await expect(settleWithin(Promise.reject(failure), 1000, () => new Error("late"))).rejects.toBe(failure);
  });

  it("rejects with the timeout error when the promise does not settle in time, and ignores it after", async () => {
    let settle: (value: number) => void = () => {};
    const slow = new Promise<number>((resolve) => {
      settle = resolve;
    });
    const late = new Error("late");
    await expect(settleWithin(slow, 20, () => late)).rejects.toBe(late);
    settle(1);
    await expect(slow).resolves.toBe(1);
  });

  it("keeps the process up only when asked to (unref by default)", async () => {
    const never = new Promise<never>(() => {});
    const handles = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const before = handles();
    const unrefd = settleWithin(never, 50, () => new Error("late")).catch(() => "timed out");
    expect(handles()).toBe(before);
    const refd = settleWithin(never, 50, () => new Error("late"), false).catch(() => "timed out");
    expect(handles()).toBe(before + 1);
    expect(await Promise.all([unrefd, refd])).toEqual(["timed out", "timed out"]);
  });
});
