import { isTokenId } from "@patgate/shared";
import { decodeCursor as decodeParts, encodeCursor as encodeParts } from "../dynamo/dynamo-helpers.js";
import { invalid } from "./errors.js";

/** The key a page resumes after: the table key, plus the owner when paging `owner-index`. */
export interface PageKey {
  readonly tokenId: string;
  readonly owner?: string;
}

/** Encodes a page key as an opaque base64url cursor. */
export function encodeCursor(key: PageKey): string {
  return encodeParts(key.owner === undefined ? [key.tokenId] : [key.tokenId, key.owner]);
}

/** Decodes a cursor from a client; anything that is not one of ours is a validation error. */
export function decodeCursor(cursor: string): PageKey {
  const value = decodeParts(cursor);
  if (!value || value.length < 1 || value.length > 2 || !isTokenId(value[0])) {
    throw invalid("cursor", "is not a cursor from a previous page");
  }
  const [tokenId, owner] = value as [string, unknown];
  if (value.length === 2 && (typeof owner !== "string" || owner.length === 0)) {
    throw invalid("cursor", "is not a cursor from a previous page");
  }
  return value.length === 2 ? { tokenId, owner: owner as string } : { tokenId };
}
