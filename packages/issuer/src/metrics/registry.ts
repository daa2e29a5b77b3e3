/**
 * A minimal Prometheus registry: counters and histograms with labels, in
 * text exposition format 0.0.4. Enough for /metrics without a dependency.
 */

type Labels = Readonly<Record<string, string>>;

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`,
  );
  return pairs.length ? `{${pairs.join(",")}}` : "";
}

/** The series key of a label set: the same for the same labels in any order. */
function keyOf(labels: Labels): string {
  // Fast paths for the hot counters (no labels, or one): no sort, no JSON, no array per call.
  let only: string | undefined;
  for (const name in labels) {
    if (only !== undefined) return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    only = name;
  }
  return only === undefined ? "" : `${only}\u0000${labels[only]}`;
}

interface Metric {
  render(): string;
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}

export interface Gauge {
  set(value: number, labels?: Labels): void;
  /** Adds `delta` (negative to subtract) to the current value. */
  add(delta: number, labels?: Labels): void;
}

export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  /** The exposition text for GET /metrics. */
  render(): string;
}

/** A histogram with cumulative buckets, and its exposition. */
function createHistogram(
  name: string,
  help: string,
  buckets: readonly number[],
): { metric: Metric; histogram: Histogram } {
  const sorted = [...buckets].sort((a, b) => a - b);
  const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  const metric: Metric = {
    render: () => {
      const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
      for (const s of series.values()) {
        sorted.forEach((le, i) => {
          lines.push(`${name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.counts[i]}`);
        });
        lines.push(`${name}_bucket${labelText({ ...s.labels, le: "+Inf" })} ${s.count}`);
        lines.push(`${name}_sum${labelText(s.labels)} ${s.sum}`);
        lines.push(`${name}_count${labelText(s.labels)} ${s.count}`);
      }
      return lines.join("\n");
    },
  };
  const histogram: Histogram = {
    observe(value, labels = {}) {
      const key = keyOf(labels);
      let s = series.get(key);
      if (!s) {
        s = { labels, counts: sorted.map(() => 0), sum: 0, count: 0 };
        series.set(key, s);
      }
      // Cumulative buckets: a value counts in every bucket whose bound it does not exceed.
      // (A plain loop: observe runs on every /token request.)
      for (let i = 0; i < sorted.length; i++) if (value <= (sorted[i] as number)) s.counts[i] = (s.counts[i] ?? 0) + 1;
      s.sum += value;
      s.count += 1;
    },
  };
  return { metric, histogram };
}

export function createRegistry(): MetricsRegistry {
  const metrics: Metric[] = [];

  return {
    counter(name, help) {
      const values = new Map<string, { labels: Labels; value: number }>();
      metrics.push({
        render: () =>
          [
            `# HELP ${name} ${help}`,
            `# TYPE ${name} counter`,
            ...[...values.values()].map((v) => `${name}${labelText(v.labels)} ${v.value}`),
          ].join("\n"),
      });
      return {
        inc(labels = {}, by = 1) {
          const key = keyOf(labels);
          const current = values.get(key);
          if (current) current.value += by;
          else values.set(key, { labels, value: by });
        },
        get: (labels = {}) => values.get(keyOf(labels))?.value ?? 0,
      };
    },

    gauge(name, help) {
      const values = new Map<string, { labels: Labels; value: number }>();
      metrics.push({
        render: () =>
          [
            `# HELP ${name} ${help}`,
            `# TYPE ${name} gauge`,
            ...[...values.values()].map((v) => `${name}${labelText(v.labels)} ${v.value}`),
          ].join("\n"),
      });
      return {
        set(value, labels = {}) {
          values.set(keyOf(labels), { labels, value });
        },
        add(delta, labels = {}) {
          const key = keyOf(labels);
          const current = values.get(key);
          if (current) current.value += delta;
          else values.set(key, { labels, value: delta });
        },
      };
    },

    histogram(name, help, buckets) {
      const { metric, histogram } = createHistogram(name, help, buckets);
      metrics.push(metric);
      return histogram;
    },

    render: () => `${metrics.map((m) => m.render()).join("\n")}\n`,
  };
}
