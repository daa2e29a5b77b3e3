import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { createOutbox, createOutboxTable } from "../../packages/issuer/src/revocation/outbox.js";
import { createRevocation } from "../../packages/issuer/src/revocation/revocation.js";
import { testIssuer } from "../../packages/issuer/test/app-fixture.js";
import { freshStore } from "../../packages/issuer/test/tokens/store-fixture.js";
import { testDynamoClient, uniqueName } from "../harness/context.js";

describe("a PAT holder revoking its own JWTs in a loop", () => {
  it("pays for it: 30 a minute reach the outbox, the rest get 429, and a repeat records nothing", async () => {
    const client = testDynamoClient();
    const outboxTable = uniqueName("outbox");
    await createOutboxTable(client, outboxTable);
    const outbox = createOutbox(client, outboxTable);
    const { store } = await freshStore();
    const revocation = await createRevocation({ store, outbox, jwtTtlSeconds: 300, stateMaxAgeSeconds: 60 });
    const issuer = await testIssuer({}, { store, revocation });
    const { token } = await store.issue({ owner: "looper", roles: ["read"] });

    const jwts: string[] = [];
    for (let i = 0; i < 201; i++) jwts.push(await issuer.exchange(token));
    const revoke = (jwt: string) => issuer.app.inject({ method: "POST", url: "/revoke", payload: { token: jwt } });
    const statuses: number[] = [];
    for (const jwt of jwts.slice(0, 200)) statuses.push((await revoke(jwt)).statusCode);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(200));
    expect(statuses.slice(30)).toEqual(Array(170).fill(429));
    const refused = await revoke(jwts[200] as string);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toBe("slow_down");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);

    // A JWT revoked already is denied already: nothing more is recorded, nor counted.
    expect((await revoke(jwts[0] as string)).statusCode).toBe(200);
    const items = await outbox.recent(10_000);
    expect(items).toHaveLength(30);
    expect(new Set(items.map((item) => item.event.type === "deny" && item.event.entry.value))).toEqual(
      new Set(jwts.slice(0, 30).map((jwt) => decodeJwt(jwt).jti)),
    );

    // Another issuer, which has not heard of it yet, revoking the same JWT: still one item.
    const other = await createRevocation({ store, outbox, jwtTtlSeconds: 300, stateMaxAgeSeconds: 60 });
    const first = decodeJwt(jwts[0] as string);
    await other.changes.denyJti(first.jti as string, first.exp as number);
    expect(await outbox.recent(10_000)).toHaveLength(30);
    await other.close();
  });
});
