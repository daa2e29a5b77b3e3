import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type TestIssuer, testIssuer } from "../app-fixture.js";

let issuer: TestIssuer;
let port: number;

beforeAll(async () => {
  // Short bounds so the suite stays quick; the defaults are checked below.
  issuer = await testIssuer({ PATGATE_HEADERS_TIMEOUT: "1", PATGATE_REQUEST_TIMEOUT: "2" });
  await issuer.app.listen({ port: 0, host: "127.0.0.1" });
  const address = issuer.app.server.address();
  port = typeof address === "object" && address ? address.port : 0;
});
afterAll(() => issuer.app.close());

/**
 * Opens a raw connection, writes `chunks` one by one every `everyMs` (then
 * keeps silent), and resolves with how long the server let it live and what it
 * answered. Fails if the server keeps it open past `limitMs`.
 */
function slowClient(chunks: string[], everyMs: number, limitMs: number): Promise<{ ms: number; reply: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket: Socket = connect(port, "127.0.0.1");
    let reply = "";
    let next = 0;
    const drip = setInterval(() => {
      if (next < chunks.length && !socket.destroyed) socket.write(chunks[next++] as string);
    }, everyMs);
    const limit = setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error(`the server kept a slow client for ${limitMs} ms`));
    }, limitMs);
    socket.on("data", (data) => {
      reply += data.toString();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(drip);
      clearTimeout(limit);
      resolve({ ms: performance.now() - started, reply });
    });
  });
}

/** A request's bytes, one character per chunk. */
const bytes = (text: string) => [...text];

// Concurrent: the bounds are per connection, and the suite waits for them once, not three times.
// Upper bounds: the configured bound, plus Node's once-a-second check, plus slack for a busy machine.
describe.concurrent("slow clients are cut off", () => {
  it("headers sent a byte at a time: closed within the headers bound", async () => {
    const head = `POST /token HTTP/1.1\r\nHost: issuer\r\nX-Padding: ${"a".repeat(200)}`;
    const { ms, reply } = await slowClient(bytes(head), 50, 6000);
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThan(3500);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    // The error table's body, as every other answer.
    expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4))).toMatchObject({
      error: "invalid_request",
      error_code: "request_timeout",
    });
  });

  it("a body sent a byte at a time: closed within the request bound", async () => {
    const head =
      "POST /token HTTP/1.1\r\nHost: issuer\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n";
    const { ms } = await slowClient([head, ...bytes(`{"x":"${"a".repeat(490)}"}`)], 50, 7000);
    expect(ms).toBeGreaterThan(1900);
    expect(ms).toBeLessThan(4500);
  });

  it("a connection that never sends a byte: closed within the headers bound", async () => {
    const { ms } = await slowClient([], 1000, 6000);
    expect(ms).toBeLessThan(3500);
  });

  it("bytes that are not HTTP: a 400 with the error table's body, then the connection closes", async () => {
    const { ms, reply } = await slowClient(["NOT HTTP AT ALL\r\n\r\n"], 10, 6000);
    expect(ms).toBeLessThan(1000);
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4))).toMatchObject({ error_code: "request_invalid" });
  });

  it("a quick client is served on the same server", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
  });
});

describe("the HTTP server's bounds", () => {
  it("default to 10 s for headers, 30 s for a request, 72 s for an idle keep-alive connection", async () => {
    expect(loadConfig({}).httpTimeouts).toEqual({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 72_000 });
    const defaults = await testIssuer();
    const server = defaults.app.server;
    expect({
      headers: server.headersTimeout,
      request: server.requestTimeout,
      idle: server.timeout,
      keepAlive: server.keepAliveTimeout,
    }).toEqual({ headers: 10_000, request: 30_000, idle: 30_000, keepAlive: 72_000 });
    await defaults.app.close();
  });
});
