import { isTokenId } from "@patgate/shared";
import { invalid } from "./errors.js";

/** The key a page resumes after: the table key, plus the owner when paging `owner-index`. */
export interface PageKey {
  readonly tokenId: string;
  readonly owner?: string;
}

/** Encodes a page key as an opaque base64url cursor. */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify(key.owner === undefined ? [key.tokenId] : [key.tokenId, key.owner])).toString(
    "base64url",
  );
}

/** Decodes a cursor from a client; anything that is not one of ours is a validation error. */
export function decodeCursor(cursor: string): PageKey {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid("cursor", "is not a cursor from a previous page");
  }
  if (!Array.isArray(value) || value.length < 1 || value.length > 2 || !isTokenId(value[0])) {
    throw invalid("cursor", "is not a cursor from a previous page");
  }
  const [tokenId, owner] = value as [string, unknown];
  if (value.length === 2 && (typeof owner !== "string" || owner.length === 0)) {
    throw invalid("cursor", "is not a cursor from a previous page");
  }
  return value.length === 2 ? { tokenId, owner: owner as string } : { tokenId };
}
