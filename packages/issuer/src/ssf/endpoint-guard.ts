import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** Addresses a receiver-supplied push endpoint may not reach (unless the operator allows it). */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
] as const)
  PRIVATE.addSubnet(net, bits, "ipv6");

/** True for a loopback, private, link-local, shared, multicast or unspecified address. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, "ipv4");
  if (family !== 6) return true;
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is that IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return PRIVATE.check(mapped[1], "ipv4");
  // ...or in hex, as URL parsing writes it (::ffff:7f00:1).
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex?.[1] && hex[2]) {
    const high = Number.parseInt(hex[1], 16);
    const low = Number.parseInt(hex[2], 16);
    return PRIVATE.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, "ipv4");
  }
  return PRIVATE.check(address, "ipv6");
}

/** Resolves a host to every address it has (a literal address is itself). */
export type HostResolver = (host: string) => Promise<readonly string[]>;

export const resolveHost: HostResolver = async (host) => {
  if (isIP(host)) return [host];
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
};

export type EndpointCheck = { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly reason: string };

/**
 * Checks a push endpoint (SPEC "Shared Signals"): an absolute http(s) URL
 * without credentials or fragment, whose host resolves only to public
 * addresses unless `allowPrivate`. Run when a stream is configured and again
 * before every push, so a host that later resolves inward (DNS rebinding) is
 * refused then too.
 */
export async function checkPushEndpoint(
  raw: string,
  allowPrivate: boolean,
  resolve: HostResolver = resolveHost,
): Promise<EndpointCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "must be an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "must be an http(s) URL" };
  if (url.username || url.password) return { ok: false, reason: "must not carry credentials" };
  if (url.hash) return { ok: false, reason: "must not have a fragment" };
  if (allowPrivate) return { ok: true, url };
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost"))
    return { ok: false, reason: "must not be a loopback or private address" };
  let addresses: readonly string[];
  try {
    // A literal address is itself, whatever the resolver would say.
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return { ok: false, reason: "its host does not resolve" };
  }
  if (addresses.length === 0 || addresses.some(isPrivateAddress))
    return { ok: false, reason: "must not be a loopback, private or link-local address" };
  return { ok: true, url };
}
