import { crc32 } from "node:zlib";
import { encodeBase62 } from "./base62.js";

/** Length of the base62 CRC32 checksum appended to new PATs (62^6 > 2^32). */
export const CHECKSUM_LENGTH = 6;

/**
 * The offline checksum of a PAT body: CRC32 of the UTF-8 text, in base62,
 * six characters. Like GitHub's token checksum it detects typos and random
 * strings without any database work; it is not a secret and proves nothing
 * about authenticity.
 */
export function patChecksum(body: string): string {
  return encodeBase62(crc32(body), CHECKSUM_LENGTH);
}
