import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAST_SCRYPT } from "../../../../test/harness/context.js";
import { createTokenStore } from "../../src/tokens/index.js";
import type { TestIssuer } from "../app-fixture.js";
import { statusFromList, statusIssuer } from "./status-fixture.js";

// An exchange racing a revocation, in both orders, with the PAT's index made at
// creation or at its first exchange: once the revocation has answered, no JWT
// the exchanges got carries a VALID index (they all came from the old state).
const ROUNDS = 8;

describe("Token Status List: exchanges racing a revocation", () => {
  let gate: TestIssuer & Awaited<ReturnType<typeof statusIssuer>>;
  beforeAll(async () => {
    gate = await statusIssuer();
  });
  afterAll(async () => gate.app.close());

  async function round(order: "exchange-first" | "revoke-first", legacy: boolean): Promise<number[]> {
    const { client, tableName } = gate.tables;
    const store = legacy ? createTokenStore(client, { tableName, scrypt: FAST_SCRYPT }) : gate.store;
    const { token, record } = await store.issue({ owner: `race-${order}` });
    const exchanges: Promise<string | undefined>[] = [];
    const tryExchange = () => exchanges.push(gate.exchange(token).catch(() => undefined));
    if (order === "exchange-first") tryExchange();
    const revoked = gate.revocation.changes.revokeToken(record.tokenId);
    if (order === "revoke-first") tryExchange();
    tryExchange();
    await revoked;
    const jwts = (await Promise.all(exchanges)).filter((jwt): jwt is string => jwt !== undefined);
    return Promise.all(jwts.map((jwt) => statusFromList(gate, jwt)));
  }

  it.each([
    ["exchange-first", false],
    ["revoke-first", false],
    ["exchange-first", true],
    ["revoke-first", true],
  ] as const)(
    "%s, index made at first exchange: %s",
    async (order, legacy) => {
      const statuses: number[] = [];
      for (let i = 0; i < ROUNDS; i++) statuses.push(...(await round(order, legacy)));
      expect(statuses.every((status) => status === 1)).toBe(true);
      // An exchange that starts first gets its JWT from the old state: the race did happen.
      if (order === "exchange-first") expect(statuses.length).toBeGreaterThan(0);
    },
    60_000,
  );
});
