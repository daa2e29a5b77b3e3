/** Codes of the errors a token store throws for a request it cannot carry out. */
export type TokenStoreErrorCode = "validation_error" | "not_found" | "conflict";

/** A bad request to the store: invalid input (naming the field), a missing token, a duplicate id. */
export class TokenStoreError extends Error {
  override readonly name = "TokenStoreError";
  constructor(
    readonly code: TokenStoreErrorCode,
    message: string,
    /** The input field at fault, for `validation_error`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The store could not be reached or refused service (network, throttling, 5xx): retry later. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  readonly code = "store_unavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function invalid(field: string, problem: string): TokenStoreError {
  return new TokenStoreError("validation_error", `${field} ${problem}`, field);
}

export function notFound(tokenId: string): TokenStoreError {
  return new TokenStoreError("not_found", `no token with id ${tokenId}`);
}
