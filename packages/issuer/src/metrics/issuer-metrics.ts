import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { type Counter, createRegistry, type Gauge, type Histogram, type MetricsRegistry } from "./registry.js";

/** The issuer's metrics, created once per app. */
export interface IssuerMetrics {
  readonly registry: MetricsRegistry;
  /** `POST /token` results by outcome: success, invalid_request, invalid_scope, rate_limited, unavailable, ... */
  readonly exchanges: Counter;
  /** Seconds spent on `POST /token`. */
  readonly exchangeSeconds: Histogram;
  readonly patCacheHits: Counter;
  readonly patCacheMisses: Counter;
  /** Revocations requested, by kind (token, owner, roles, jti). */
  readonly revocations: Counter;
  /** Seconds from a revocation's acceptance to its arrival on the deny-list stream. */
  readonly propagationSeconds: Histogram;
  /** Revocations accepted but not yet on the deny-list. */
  readonly pendingRevocations: Gauge;
  /** Revocations whose delivery failed for good (listed as `failed` by `GET /admin/revocations`). */
  readonly failedRevocations: Gauge;
  /** Webhook events the receiver took (counted by the process that delivers them). */
  readonly webhooksDelivered: Counter;
  /** Webhook events whose attempts were all spent: listed at `GET /admin/webhooks/deliveries`. */
  readonly webhooksFailed: Counter;
  /** Webhook events recorded and not yet delivered (nor failed). */
  readonly webhooksPending: Gauge;
  /** Shared Signals: SETs made for streams, by delivery method (push, poll). */
  readonly ssfSets: Counter;
  /** Shared Signals: SET pushes that ended, by result (delivered, failed: listed at `GET /admin/ssf/deliveries`). */
  readonly ssfPushes: Counter;
  /** Shared Signals: SET pushes recorded and not yet delivered (nor failed). */
  readonly ssfPushesPending: Gauge;
  /** Shared Signals: SETs dropped because a stream's queue was full. */
  readonly ssfDropped: Counter;
  /** HTTP requests received and not yet answered (or aborted). */
  readonly requestsInFlight: Gauge;
  /** scrypt verifications refused because the queue would have made them wait too long. */
  readonly scryptShed: Counter;
  /** scrypt verifications waiting for their turn. */
  readonly scryptQueued: Gauge;
  /** Process memory, sampled at each scrape. */
  readonly residentMemoryBytes: Gauge;
  readonly heapUsedBytes: Gauge;
  readonly externalMemoryBytes: Gauge;
  /** The event loop's longest and 99th-percentile delay since the previous scrape. */
  readonly eventLoopDelayMaxSeconds: Gauge;
  readonly eventLoopDelayP99Seconds: Gauge;
}

/** Event-loop delay, sampled every 10 ms; read and reset at each scrape. */
let loopDelay: IntervalHistogram | undefined;

/**
 * Samples the event loop's delay since the last scrape into its gauges: what
 * a request waited, at worst, before the issuer could even look at it (a
 * flood that starves the loop shows here first).
 */
export function sampleEventLoop(metrics: IssuerMetrics): void {
  if (!loopDelay) return;
  metrics.eventLoopDelayMaxSeconds.set(loopDelay.max / 1e9);
  metrics.eventLoopDelayP99Seconds.set(loopDelay.percentile(99) / 1e9);
  loopDelay.reset();
}

/** Samples the process's memory into its gauges: called on each scrape, not on a timer. */
export function sampleProcessMemory(metrics: IssuerMetrics): void {
  const memory = process.memoryUsage();
  metrics.residentMemoryBytes.set(memory.rss);
  metrics.heapUsedBytes.set(memory.heapUsed);
  metrics.externalMemoryBytes.set(memory.external + memory.arrayBuffers);
}

export function createIssuerMetrics(): IssuerMetrics {
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  }
  const registry = createRegistry();
  return {
    registry,
    exchanges: registry.counter("patgate_token_exchanges_total", "Token exchanges at POST /token by outcome."),
    exchangeSeconds: registry.histogram(
      "patgate_token_exchange_duration_seconds",
      "Latency of POST /token.",
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
    patCacheHits: registry.counter("patgate_pat_cache_hits_total", "Exchanges served from the verified-PAT cache."),
    patCacheMisses: registry.counter(
      "patgate_pat_cache_misses_total",
      "Exchanges that verified the PAT against the store.",
    ),
    revocations: registry.counter("patgate_revocations_total", "Revocations accepted, by kind."),
    propagationSeconds: registry.histogram(
      "patgate_revocation_propagation_seconds",
      "Time from a revocation's acceptance to its arrival on the deny-list.",
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 300],
    ),
    pendingRevocations: registry.gauge("patgate_revocations_pending", "Revocations accepted but not yet propagated."),
    failedRevocations: registry.gauge(
      "patgate_revocations_failed",
      "Revocations whose delivery to the deny-list failed for good (see GET /admin/revocations).",
    ),
    webhooksDelivered: registry.counter(
      "patgate_webhooks_delivered_total",
      "Token lifecycle events the webhook receiver accepted.",
    ),
    webhooksFailed: registry.counter(
      "patgate_webhooks_failed_total",
      "Token lifecycle events whose delivery attempts were all spent.",
    ),
    webhooksPending: registry.gauge("patgate_webhooks_pending", "Token lifecycle events not yet delivered."),
    ssfSets: registry.counter("patgate_ssf_sets_total", "Shared Signals SETs made for streams, by delivery method."),
    ssfPushes: registry.counter(
      "patgate_ssf_pushes_total",
      "Shared Signals SET pushes that ended: delivered, or failed with every attempt spent.",
    ),
    ssfPushesPending: registry.gauge("patgate_ssf_pushes_pending", "Shared Signals SET pushes not yet delivered."),
    ssfDropped: registry.counter(
      "patgate_ssf_dropped_total",
      "Shared Signals SETs dropped: a stream's queue was full, or it was disabled or deleted before the push.",
    ),
    requestsInFlight: registry.gauge("patgate_http_requests_in_flight", "HTTP requests received and not yet answered."),
    scryptShed: registry.counter(
      "patgate_scrypt_shed_total",
      "scrypt verifications refused (503) because the queue would have made them wait too long.",
    ),
    scryptQueued: registry.gauge("patgate_scrypt_queued", "scrypt verifications waiting for their turn."),
    residentMemoryBytes: registry.gauge("process_resident_memory_bytes", "Resident set size in bytes."),
    heapUsedBytes: registry.gauge("nodejs_heap_size_used_bytes", "V8 heap in use, in bytes."),
    externalMemoryBytes: registry.gauge(
      "nodejs_external_memory_bytes",
      "Memory outside the V8 heap held by JavaScript objects (buffers), in bytes.",
    ),
    eventLoopDelayMaxSeconds: registry.gauge(
      "nodejs_eventloop_delay_max_seconds",
      "Longest event-loop delay since the previous scrape, in seconds.",
    ),
    eventLoopDelayP99Seconds: registry.gauge(
      "nodejs_eventloop_delay_p99_seconds",
      "99th percentile of the event-loop delay since the previous scrape, in seconds.",
    ),
  };
}
