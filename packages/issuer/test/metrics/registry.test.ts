import { describe, expect, it } from "vitest";
import { createRegistry } from "../../src/metrics/registry.js";

describe("metrics registry", () => {
  it("counts one series per label set, whatever the order of the labels", () => {
    const registry = createRegistry();
    const counter = registry.counter("patgate_things_total", "Things.");
    counter.inc();
    counter.inc({ outcome: "success" });
    counter.inc({ outcome: "success" }, 2);
    counter.inc({ a: "1", b: "2" });
    counter.inc({ b: "2", a: "1" });
    expect(counter.get()).toBe(1);
    expect(counter.get({ outcome: "success" })).toBe(3);
    expect(counter.get({ outcome: "error" })).toBe(0);
    expect(counter.get({ b: "2", a: "1" })).toBe(2);
    expect(registry.render()).toBe(
      [
        "# HELP patgate_things_total Things.",
        "# TYPE patgate_things_total counter",
        "patgate_things_total 1",
        'patgate_things_total{outcome="success"} 3',
        'patgate_things_total{a="1",b="2"} 2',
        "",
      ].join("\n"),
    );
  });

  it("keeps a label value that looks like another label set apart from it", () => {
    const counter = createRegistry().counter("c", "C.");
    counter.inc({ a: '1"],["b', b: "x" });
    counter.inc({ a: "1", b: "x" });
    expect(counter.get({ a: "1", b: "x" })).toBe(1);
  });

  it("adds to a gauge and counts histogram observations into cumulative buckets", () => {
    const registry = createRegistry();
    const gauge = registry.gauge("g", "G.");
    gauge.set(0);
    gauge.add(1);
    gauge.add(1);
    gauge.add(-1);
    const histogram = registry.histogram("h_seconds", "H.", [0.1, 0.01]);
    histogram.observe(0.005);
    histogram.observe(0.05);
    histogram.observe(1);
    expect(registry.render()).toBe(
      [
        "# HELP g G.",
        "# TYPE g gauge",
        "g 1",
        "# HELP h_seconds H.",
        "# TYPE h_seconds histogram",
        'h_seconds_bucket{le="0.01"} 1',
        'h_seconds_bucket{le="0.1"} 2',
        'h_seconds_bucket{le="+Inf"} 3',
        "h_seconds_sum 1.055",
        "h_seconds_count 3",
        "",
      ].join("\n"),
    );
  });
});
