// The issuer under attack: floods of forged PATs (a valid checksum, token ids
// nobody issued, so each costs a scrypt) from one address and from many, while
// a legitimate client does warm exchanges, JWKS fetches and cold exchanges.
// Everything is on loopback: the flooding addresses are 127.0.0.2 … 127.0.0.N,
// bound as the source address of each connection (Linux routes all of
// 127.0.0.0/8 to lo), since the issuer here trusts no proxy header.
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { formatPat, newTokenId } from "@patgate/shared";
import { percentile } from "./stats.js";

/** One answer, or none within the timeout (`status` 0). */
export interface Call {
  readonly status: number;
  readonly ms: number;
  readonly retryAfter?: number;
}

/** Longest a request may take before it counts as hung. */
const HANG_MS = 10_000;

const agents = new Map<string, Agent>();
/** A keep-alive agent whose connections leave from `localAddress`. */
function agentFor(localAddress: string): Agent {
  let agent = agents.get(localAddress);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 64 });
    agents.set(localAddress, agent);
  }
  return agent;
}

/** Closes the keep-alive connections of every address. */
export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/** One HTTP call from `localAddress`, bounded by {@link HANG_MS}. */
export function call(
  url: string,
  options: { readonly method?: string; readonly headers?: Record<string, string>; readonly localAddress: string },
): Promise<Call> {
  const started = performance.now();
  return new Promise<Call>((resolve) => {
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        localAddress: options.localAddress,
        agent: agentFor(options.localAddress),
        timeout: HANG_MS,
      },
      (response) => {
        response.resume();
        response.on("end", () => {
          const retryAfter = Number(response.headers["retry-after"]);
          resolve({
            status: response.statusCode ?? 0,
            ms: performance.now() - started,
            ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("hung")));
    req.on("error", () => resolve({ status: 0, ms: performance.now() - started }));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A PAT with a valid checksum for a token id nobody issued: it passes every offline check. */
export function forgedPat(): string {
  return formatPat("pat_", newTokenId(), randomBytes(32));
}

/** What one flooding address got back, by status. */
export type FloodTally = Map<number, number>;

/**
 * One attacker address sending forged PATs back to back until `until`
 * (performance.now ms): as fast as its limits allow, i.e. it waits what
 * `Retry-After` says after a 429 or 503, and nothing otherwise.
 */
async function floodFrom(url: string, localAddress: string, until: number, tally: FloodTally): Promise<void> {
  while (performance.now() < until) {
    const answer = await call(`${url}/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${forgedPat()}` },
      localAddress,
    });
    tally.set(answer.status, (tally.get(answer.status) ?? 0) + 1);
    if ((answer.status === 429 || answer.status === 503) && answer.retryAfter !== undefined)
      await sleep(Math.min(answer.retryAfter * 1000, Math.max(0, until - performance.now())));
  }
}

/** Every attacker address, `lanes` senders each, until `until` (performance.now ms). */
export async function flood(
  url: string,
  attackers: readonly string[],
  lanes: number,
  until: number,
): Promise<FloodTally> {
  const tally: FloodTally = new Map();
  await Promise.all(
    attackers.flatMap((address) => Array.from({ length: lanes }, () => floodFrom(url, address, until, tally))),
  );
  return tally;
}

/** The legitimate client's measurements of one phase. */
export interface Measured {
  readonly warm: Call[];
  readonly jwks: Call[];
  readonly cold: Call[];
}

export interface PhaseOptions {
  readonly url: string;
  readonly seconds: number;
  /** The legitimate client's address. */
  readonly clientAddress: string;
  /** A PAT exchanged before: served from the issuer's cache. */
  readonly warmPat: string;
  /** PATs never exchanged yet; one is taken per cold exchange. */
  readonly coldPats: string[];
  /**
   * Starts the attack for the phase (absent for the baseline) and resolves with
   * its tally once it is over; it runs in another process, so that it never
   * delays the measurements taken here.
   */
  readonly attack?: () => Promise<FloodTally>;
}

/** Runs one phase: the legitimate client's three loops beside the attack, all stopping at the deadline. */
export async function runPhase(
  options: PhaseOptions,
): Promise<{ measured: Measured; flood: FloodTally; benchLoopMaxMs: number }> {
  const { url, clientAddress } = options;
  const attack = options.attack?.() ?? Promise.resolve<FloodTally>(new Map());
  const until = performance.now() + options.seconds * 1000;
  // This process's event loop: a delay here is in every latency it measures.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const measured: Measured = { warm: [], jwks: [], cold: [] };
  const warm = (async () => {
    while (performance.now() < until) {
      measured.warm.push(
        await call(`${url}/token`, {
          method: "POST",
          headers: { authorization: `Bearer ${options.warmPat}` },
          localAddress: clientAddress,
        }),
      );
      await sleep(20);
    }
  })();
  const jwks = (async () => {
    while (performance.now() < until) {
      measured.jwks.push(await call(`${url}/.well-known/jwks.json`, { localAddress: clientAddress }));
      await sleep(50);
    }
  })();
  const cold = (async () => {
    while (performance.now() < until) {
      const pat = options.coldPats.shift();
      if (!pat) throw new Error("the bench ran out of cold PATs");
      measured.cold.push(
        await call(`${url}/token`, {
          method: "POST",
          headers: { authorization: `Bearer ${pat}` },
          localAddress: clientAddress,
        }),
      );
      await sleep(1000);
    }
  })();
  await Promise.all([warm, jwks, cold]);
  loop.disable();
  return { measured, flood: await attack, benchLoopMaxMs: loop.max / 1e6 };
}

/** p50 / p99 of the answered calls, ms. */
export function latency(calls: readonly Call[]): { p50: number; p99: number; max: number } {
  const ms = calls.filter((c) => c.status !== 0).map((c) => c.ms);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms.length ? Math.max(...ms) : Number.NaN };
}

/**
 * How the legitimate cold exchanges went: served (within `okMs`), refused
 * promptly with 503 and `Retry-After` (within `promptMs`), or neither.
 */
export function coldOutcome(calls: readonly Call[], okMs = 2000, promptMs = 1500) {
  const served = calls.filter((c) => c.status === 200);
  const shed = calls.filter((c) => c.status === 503 && c.retryAfter !== undefined);
  const bad = calls.filter(
    (c) => !(c.status === 200 && c.ms <= okMs) && !(c.status === 503 && c.retryAfter !== undefined && c.ms <= promptMs),
  );
  return {
    served: served.length,
    servedP99: latency(served).p99,
    shed: shed.length,
    shedMax: latency(shed).max,
    bad: bad.length,
    hung: calls.filter((c) => c.status === 0).length,
  };
}
