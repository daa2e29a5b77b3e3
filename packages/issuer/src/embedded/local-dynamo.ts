import { chmod, mkdir } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import dynalite from "dynalite";
import { Level } from "level";
import { DataDirInUseError } from "./data-dir-in-use.js";
import { readRunningIssuer } from "./running-issuer.js";

/** Longest a request to the embedded store may take before it fails (as the SDK's `requestTimeout` did). */
const REQUEST_TIMEOUT_MS = 5000;

/** What the AWS SDK hands a request handler (the part of Smithy's `HttpRequest` used here). */
interface SdkRequest {
  readonly method: string;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | readonly string[] | null>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** What a request handler gives back to the SDK (Smithy's `HttpResponse`). */
interface SdkResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

/**
 * An AWS SDK request handler (Smithy's `HttpHandler`) that serves each
 * request by calling the embedded store's request listener in this process:
 * no socket, no port, nothing another process could connect to.
 */
export interface InProcessRequestHandler {
  readonly metadata: { readonly handlerProtocol: string };
  handle(request: SdkRequest, options?: { readonly abortSignal?: unknown }): Promise<{ response: SdkResponse }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
}

/** The embedded DynamoDB-compatible store: dynalite in this process, persisted under the data dir. */
export interface LocalDynamo {
  /** Give it to the AWS SDK as `requestHandler`: requests never leave the process. */
  readonly requestHandler: InProcessRequestHandler;
  /** The endpoint the SDK addresses (and signs for); nothing listens there. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** The part of dynalite's store (`dynalite/db`) used here: its LevelDB, to close it. */
interface DynaliteStore {
  readonly db: { close(callback: (error?: Error | null) => void): void };
}
type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

const require = createRequire(import.meta.url);

/**
 * Fails with one clear line when another process holds the store's LevelDB
 * lock. dynalite would open it anyway, fail, and crash on the first request
 * with "Database is closed" and a stack trace. LevelDB's lock is an OS lock
 * released when its process dies, so a crashed issuer never blocks a start.
 */
async function assertStoreFree(dataDir: string, path: string): Promise<void> {
  const probe = new Level(path);
  try {
    await probe.open();
  } catch (error) {
    if ((error as { cause?: { code?: unknown } }).cause?.code !== "LEVEL_LOCKED") throw error;
    const running = await readRunningIssuer(dataDir);
    const who = running ? ` (the issuer at ${running.url}${running.pid ? `, pid ${running.pid}` : ""})` : "";
    throw new DataDirInUseError(
      `the data dir ${dataDir} is in use by another patgate process${who}: stop it, or set PATGATE_DATA_DIR to another directory`,
    );
  }
  await probe.close();
}

/**
 * Builds dynalite without letting it listen. dynalite is an `http.Server`
 * whose request listener does all the work; its store (and the LevelDB lock
 * on the data dir) is closed only by `server.close()` of a server that
 * listened. So the store is caught as dynalite creates it, to be closed here.
 */
function createInProcessDynalite(path: string): { listener: RequestListener; store: DynaliteStore } {
  const dynaliteDb = require("dynalite/db") as { create: (options: object) => DynaliteStore };
  const create = dynaliteDb.create;
  let store: DynaliteStore | undefined;
  dynaliteDb.create = (options) => {
    store = create(options);
    return store;
  };
  let server: ReturnType<typeof dynalite>;
  try {
    server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  } finally {
    dynaliteDb.create = create;
  }
  const [listener] = server.listeners("request") as RequestListener[];
  if (!store || typeof store.db?.close !== "function" || !listener)
    throw new Error("this dynalite version cannot run in process: patgate needs its request listener and store");
  return { listener, store };
}

function bodyOf(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError("the embedded store takes string or byte request bodies only");
}

function urlOf(request: SdkRequest): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) query.append(name, one ?? "");
  }
  const text = query.toString();
  return text ? `${request.path}?${text}` : request.path;
}

/** Calls `listener` with an in-memory request and collects what it answers. */
function serve(listener: RequestListener, request: SdkRequest, signal?: AbortSignal): Promise<SdkResponse> {
  return new Promise<SdkResponse>((resolve, reject) => {
    const headers: Record<string, string> = {};
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const timer = setTimeout(
      () =>
        settle(() => reject(Object.assign(new Error("embedded store request timed out"), { name: "TimeoutError" }))),
      REQUEST_TIMEOUT_MS,
    );
    const onAbort = () => settle(() => reject(Object.assign(new Error("request aborted"), { name: "AbortError" })));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });

    const incoming = Object.assign(new PassThrough(), {
      method: request.method,
      url: urlOf(request),
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value])),
    });
    const response = {
      statusCode: 200,
      setHeader(name: string, value: number | string | readonly string[]) {
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
        return response;
      },
      getHeader: (name: string) => headers[name.toLowerCase()],
      end(chunk?: string | Uint8Array) {
        const body = chunk === undefined ? Buffer.alloc(0) : Buffer.from(chunk);
        settle(() => resolve({ statusCode: response.statusCode, headers, body }));
        return response;
      },
    };
    listener(incoming as unknown as IncomingMessage, response as unknown as ServerResponse);
    incoming.end(bodyOf(request.body));
  });
}

/**
 * Starts dynalite with its LevelDB files in `<dataDir>/dynamodb` (mode 0700),
 * inside this process: `npm start` needs no DynamoDB, a restart keeps every
 * token, and no other process can reach the store. It used to listen on a
 * loopback port, where any local process could plant an admin PAT with one
 * unauthenticated `PutItem`.
 */
export async function startLocalDynamo(dataDir: string): Promise<LocalDynamo> {
  const path = join(dataDir, "dynamodb");
  await mkdir(path, { recursive: true, mode: 0o700 });
  await assertStoreFree(dataDir, path);
  // A directory made before (or by hand) keeps its mode: tighten it.
  await chmod(path, 0o700);
  const { listener, store } = createInProcessDynalite(path);
  const requestHandler: InProcessRequestHandler = {
    metadata: { handlerProtocol: "http/1.1" },
    handle: async (request, options) => {
      const signal = options?.abortSignal instanceof AbortSignal ? options.abortSignal : undefined;
      // A timer first, as a socket's round trip would give: dynalite finishes creating a table
      // on a 0 ms timer, and a DescribeTable served before that timer finds it still CREATING
      // (the SDK's waiter then sleeps a whole second).
      await new Promise((resolve) => setTimeout(resolve, 0));
      return { response: await serve(listener, request, signal) };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  let closed: Promise<void> | undefined;
  return {
    requestHandler,
    endpoint: "http://embedded.patgate.invalid",
    close() {
      closed ??= new Promise<void>((resolve, reject) => store.db.close((error) => (error ? reject(error) : resolve())));
      return closed;
    },
  };
}
