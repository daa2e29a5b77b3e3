import { createServer, type Server, Socket } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { createTokenStore, createTokenTable } from "../../packages/issuer/src/tokens/index.js";
import { testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { dynamoEndpoint, FAST_SCRYPT, testDynamoClient, uniqueName } from "../harness/context.js";

/**
 * A TCP proxy in front of DynamoDB that the test can cut and restore: the
 * network goes away while the data stays, as in a real outage.
 */
async function cuttableProxy(target: URL): Promise<{ url: string; cut(): void; restore(): void; close(): void }> {
  let up = true;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    upstream.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      up = true;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const cleanup of cleanups) cleanup();
});

describe("DynamoDB unreachable", () => {
  it("answers a cold /token 503 temporarily_unavailable with Retry-After, keeps warm PATs working, and recovers by itself", async () => {
    const proxy = await cuttableProxy(new URL(dynamoEndpoint()));
    cleanups.push(() => proxy.close());
    const tableName = uniqueName("outage");
    await createTokenTable(testDynamoClient(), tableName);
    const client = new DynamoDBClient({
      endpoint: proxy.url,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
    });
    cleanups.push(() => client.destroy());
    const store = createTokenStore(client, { tableName, scrypt: FAST_SCRYPT });
    const issuer = await testIssuer({}, { store });
    const warm = (await store.issue({ owner: "warm" })).token;
    const cold = (await store.issue({ owner: "cold" })).token;
    const exchange = (pat: string) =>
      issuer.app.inject({ method: "POST", url: "/token", headers: { authorization: `Bearer ${pat}` } });
    expect((await exchange(warm)).statusCode).toBe(200);
    const adminJwt = await issuer.adminJwt();

    proxy.cut();
    const refused = await exchange(cold);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: "temporarily_unavailable" });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    // A PAT verified a moment ago is served from the verified-PAT cache: no store needed.
    expect((await exchange(warm)).statusCode).toBe(200);
    expect((await issuer.app.inject({ url: "/readyz" })).statusCode).toBe(503);
    expect((await issuer.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    const admin = await issuer.app.inject({
      method: "POST",
      url: "/admin/tokens",
      headers: { authorization: `Bearer ${adminJwt}` },
      payload: { owner: "during-outage" },
    });
    expect(admin.statusCode).toBe(503);

    proxy.restore();
    expect((await exchange(cold)).statusCode).toBe(200);
    expect((await issuer.app.inject({ url: "/readyz" })).statusCode).toBe(200);
  });
});
