import type { KeyObject } from "node:crypto";
import { inflateSync } from "node:zlib";
import { jwtVerify } from "jose";
import type { KeyHeader } from "../jwks.js";

/** A status list as verified and decoded: its bits per index and how long it may be used. */
export interface DecodedList {
  readonly bits: 1 | 2 | 4 | 8;
  readonly bytes: Uint8Array;
  /** The `ttl` claim: seconds before it should be fetched again. */
  readonly ttlSeconds: number;
  /** The `exp` claim, epoch s, when there is one. */
  readonly exp?: number;
}

/** The largest list accepted once inflated: 64 MiB (a list of 512 million one-bit entries). */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** `ttl` bounds: at least a second, at most a day (a longer claim is read as a day). */
const MIN_TTL_SECONDS = 1;
const MAX_TTL_SECONDS = 86_400;

/** A list that was refused: bad signature, `typ`, `sub`, claims or compression. */
export class BadStatusList extends Error {
  override readonly name = "BadStatusList";
}

function isBits(value: unknown): value is DecodedList["bits"] {
  return value === 1 || value === 2 || value === 4 || value === 8;
}

/**
 * Verifies a `statuslist+jwt` fetched from `uri`: signed by a key of the
 * issuer's JWKS (the verifier's own key source), `typ` `statuslist+jwt`,
 * `sub` its own URI, not expired, and `status_list.lst` ZLIB-compressed.
 * Throws {@link BadStatusList} for anything else.
 */
export async function verifyStatusList(
  jwt: string,
  uri: string,
  options: {
    readonly keyFor: (header: KeyHeader) => Promise<KeyObject>;
    readonly algorithms: readonly string[];
    readonly nowMs: number;
  },
): Promise<DecodedList> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(jwt, (header) => options.keyFor(header as KeyHeader), {
      typ: "statuslist+jwt",
      subject: uri,
      algorithms: [...options.algorithms],
      currentDate: new Date(options.nowMs),
    }));
  } catch (cause) {
    throw new BadStatusList(`status list ${uri}: ${(cause as Error).message}`, { cause });
  }
  const list = payload.status_list as Record<string, unknown> | undefined;
  if (typeof list !== "object" || list === null || !isBits(list.bits) || typeof list.lst !== "string")
    throw new BadStatusList(`status list ${uri}: status_list must have bits 1, 2, 4 or 8 and a string lst`);
  let bytes: Uint8Array;
  try {
    bytes = inflateSync(Buffer.from(list.lst, "base64url"), { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (cause) {
    throw new BadStatusList(`status list ${uri}: lst is not ZLIB-compressed`, { cause });
  }
  const ttl = typeof payload.ttl === "number" && Number.isFinite(payload.ttl) ? payload.ttl : 300;
  return {
    bits: list.bits,
    bytes,
    ttlSeconds: Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, ttl)),
    ...(typeof payload.exp === "number" ? { exp: payload.exp } : {}),
  };
}

/** The status of `idx` (0 VALID, 1 INVALID, ...), or undefined when the list is shorter. */
export function statusAt(list: DecodedList, idx: number): number | undefined {
  const position = idx * list.bits;
  const byte = list.bytes[position >> 3];
  if (byte === undefined) return undefined;
  return (byte >> (position & 7)) & ((1 << list.bits) - 1);
}
