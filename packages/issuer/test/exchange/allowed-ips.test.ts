import { describe, expect, it } from "vitest";
import { until } from "../../../../test/harness/until.js";
import { addressAllowed, withRecentIp } from "../../src/exchange/allowed-ips.js";
import { checkAllowedIps } from "../../src/tokens/validation.js";
import { testIssuer } from "../app-fixture.js";

describe("allowed-IP lists", () => {
  it("normalise IPv4 and IPv6 addresses and CIDRs, and match clients in them", () => {
    const list = checkAllowedIps(["203.0.113.0/24", "2001:DB8::/32", "198.51.100.7", "203.0.113.0/24"]);
    expect(list).toEqual(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32"]);
    expect(addressAllowed(list, "203.0.113.99")).toBe(true);
    expect(addressAllowed(list, "::ffff:203.0.113.5")).toBe(true);
    expect(addressAllowed(list, "198.51.100.7")).toBe(true);
    expect(addressAllowed(list, "198.51.100.8")).toBe(false);
    expect(addressAllowed(list, "2001:db8:1::5")).toBe(true);
    expect(addressAllowed(list, "2001:db9::1")).toBe(false);
    expect(addressAllowed(undefined, "192.0.2.1")).toBe(true);
  });

  it.each([["10.0.0.0/33"], ["300.1.1.1"], ["::/129"], ["10.0.0.0/8/8"], ["example.com"], [""], [7]])(
    "refuse %s with an error naming the field",
    (entry) => {
      expect(() => checkAllowedIps([entry])).toThrow(expect.objectContaining({ field: "allowedIps" }));
    },
  );

  it("refuse more than 32 entries", () => {
    expect(() => checkAllowedIps(Array.from({ length: 33 }, (_, i) => `10.0.${i}.0/24`))).toThrow(/at most 32/);
  });

  it("remember the last five addresses, newest first", () => {
    let recent: string[] = [];
    for (const ip of ["a", "b", "c", "b", "d", "e", "f"]) recent = withRecentIp(recent, ip);
    expect(recent).toEqual(["f", "e", "d", "b", "c"]);
  });
});

describe("an exchange from outside a PAT's allow-list", () => {
  it("fails with invalid_request, is audited with the address, and works from inside (IPv6 too)", async () => {
    const issuer = await testIssuer();
    const { token, record } = await issuer.store.issue({
      owner: "pinned",
      allowedIps: ["2001:db8::/32", "192.0.2.0/24"],
    });
    const from = (remoteAddress: string) =>
      issuer.app.inject({
        method: "POST",
        url: "/token",
        remoteAddress,
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await from("192.0.2.10")).statusCode).toBe(200);
    expect((await from("2001:db8::42")).statusCode).toBe(200);
    const outside = await from("2001:db9::1");
    expect(outside.statusCode).toBe(400);
    expect(outside.json()).toMatchObject({ error: "invalid_request" });
    // Served from the cache or not, the address is checked on every exchange.
    expect((await from("198.51.100.1")).statusCode).toBe(400);
    const audited = issuer.audit.filter((e) => e.tokenId === record.tokenId && e.reason === "address_not_allowed");
    expect(audited.map((e) => e.ip)).toEqual(["2001:db9::1", "198.51.100.1"]);
    // A stranger without the secret learns nothing about the list.
    const stranger = await issuer.app.inject({
      method: "POST",
      url: "/token",
      remoteAddress: "198.51.100.1",
      headers: { authorization: `Bearer ${token.slice(0, -8)}AAAAAAAA` },
    });
    expect(stranger.json()).toMatchObject({ error: "invalid_request", error_code: "subject_invalid" });
  });

  it("is set, replaced and removed through the admin API, and a narrowed list denies JWTs minted before", async () => {
    const issuer = await testIssuer();
    const admin = await issuer.adminJwt();
    const call = (method: "POST" | "PATCH", url: string, payload: unknown) =>
      issuer.app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${admin}` } });
    const created = await call("POST", "/admin/tokens", { owner: "netops", allowedIps: ["10.1.0.0/16"] });
    expect(created.statusCode).toBe(201);
    expect(created.json().record.allowedIps).toEqual(["10.1.0.0/16"]);
    const id = created.json().record.tokenId as string;
    const bad = await call("PATCH", `/admin/tokens/${id}`, { allowedIps: ["10.1.0.0/40"] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe("allowedIps");
    const cleared = await call("PATCH", `/admin/tokens/${id}`, { allowedIps: null });
    expect(cleared.json().record.allowedIps).toBeUndefined();
    const jwt = await issuer.exchange(created.json().token);
    await call("PATCH", `/admin/tokens/${id}`, { allowedIps: ["10.2.0.0/16"] });
    const introspected = await call("POST", "/introspect", { token: jwt });
    expect(introspected.json()).toEqual({ active: false });
  });

  it("records the last addresses a PAT was used from", async () => {
    const issuer = await testIssuer();
    const { token, record } = await issuer.store.issue({ owner: "roamer" });
    for (const ip of ["192.0.2.1", "192.0.2.2", "2001:db8::1"]) {
      await issuer.app.inject({
        method: "POST",
        url: "/token",
        remoteAddress: ip,
        headers: { authorization: `Bearer ${token}` },
      });
    }
    const seen = await until(
      async () => {
        const ips = (await issuer.store.get(record.tokenId))?.recentIps ?? [];
        return ips.length === 3 && ips;
      },
      { message: "three recent IPs" },
    );
    expect(seen).toEqual(["2001:db8::1", "192.0.2.2", "192.0.2.1"]);
  });
});
