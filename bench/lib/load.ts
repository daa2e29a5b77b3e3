import autocannon, { type Request } from "autocannon";
import { cpuSecondsOf } from "./child.js";

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /**
   * Requests per CPU-second of the server process (all its threads), when its
   * pid was given: the cost per request, unaffected by the load generator and
   * the neighbours sharing this machine's cores. NaN otherwise.
   */
  readonly perServerCpuSecond: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly method?: "GET" | "POST";
  readonly durationSeconds?: number;
  /** Stop after this many requests instead of after a duration. */
  readonly amount?: number;
  readonly connections?: number;
  /** The server's pid, to measure its CPU time during the run. */
  readonly serverPid?: number;
  /** Request headers, or one set per request (cycled) for distinct tokens. */
  readonly headers?: Readonly<Record<string, string>> | readonly Readonly<Record<string, string>>[];
  /** A request body, sent with every request. */
  readonly body?: string;
}

/** Drives HTTP load with autocannon (the server under test runs in another process). */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const perRequest = Array.isArray(options.headers) ? (options.headers as Record<string, string>[]) : undefined;
  let next = 0;
  const cpuBefore = options.serverPid === undefined ? 0 : await cpuSecondsOf(options.serverPid);
  const result = await autocannon({
    url: options.url,
    method: options.method ?? "GET",
    connections: options.connections ?? 50,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationSeconds ?? 10 }),
    ...(perRequest
      ? {
          requests: [
            {
              setupRequest: (request: Request): Request => {
                const headers = perRequest[next % perRequest.length];
                next += 1;
                return { ...request, headers: { ...request.headers, ...headers } };
              },
            },
          ],
        }
      : { headers: (options.headers as Record<string, string> | undefined) ?? {} }),
  });
  return {
    // Total over elapsed time: autocannon's per-second mean undercounts a run that ends mid-second.
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    perServerCpuSecond:
      options.serverPid === undefined
        ? Number.NaN
        : result.requests.total / ((await cpuSecondsOf(options.serverPid)) - cpuBefore),
  };
}
