import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServiceAccountStore } from "../../src/service-accounts/service-account-store.js";
import { ownerTableName } from "../../src/tokens/owner-revisions.js";
import { adminCall, type TestIssuer, testIssuer } from "../app-fixture.js";
import { freshStore } from "../tokens/store-fixture.js";

/**
 * A PAT created for a service account while an admin deletes it: run many
 * times in both orders, with the second call starting a varying number of
 * event-loop turns after the first, on real dynalite. Whatever interleaving
 * happens, once both answered no PAT of the deleted account may still
 * exchange, or be listed as live.
 */
let issuer: TestIssuer;
let admin: string;

beforeAll(async () => {
  const { store, client, tableName } = await freshStore();
  const serviceAccounts = createServiceAccountStore(client, ownerTableName(tableName));
  issuer = await testIssuer({}, { store, serviceAccounts });
  admin = await issuer.adminJwt();
});
afterAll(() => issuer.app.close());

/** Waits `turns` turns of the event loop (lets the other call's store requests go out). */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

const ROUNDS = 24;

describe("creating a PAT for a service account while it is deleted", () => {
  it.each([
    ["create first", true],
    ["delete first", false],
  ])("leaves no usable PAT of the deleted account (%s)", async (_order, createFirst) => {
    let created = 0;
    let refused = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const name = `race-${createFirst ? "c" : "d"}-${round}`;
      expect((await adminCall(issuer.app, admin, "POST", "/admin/service-accounts", { name })).statusCode).toBe(201);
      const create = () => adminCall(issuer.app, admin, "POST", "/admin/tokens", { owner: `svc:${name}` });
      const remove = () =>
        issuer.app.inject({
          method: "DELETE",
          url: `/admin/service-accounts/${name}`,
          headers: { authorization: `Bearer ${admin}` },
        });
      const gap = round % 12;
      const [pat, deleted] = createFirst
        ? await Promise.all([create(), turns(gap).then(remove)])
        : await Promise.all([turns(gap).then(create), remove()]).then(([c, d]) => [c, d] as const);
      expect(deleted.statusCode).toBe(200);
      if (pat.statusCode === 201) {
        created += 1;
        await expect(issuer.exchange(pat.json().token)).rejects.toThrow(/exchange failed: 400/);
      } else {
        refused += 1;
        expect(pat.statusCode).toBe(404);
      }
      const live = await issuer.store.list({ owner: `svc:${name}`, includeRevoked: false });
      const owners = await issuer.store.owners.get(`svc:${name}`);
      expect(live.items.filter((record) => record.ownerRevision >= owners)).toEqual([]);
    }
    expect(created + refused).toBe(ROUNDS);
  });
});
