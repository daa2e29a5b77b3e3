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

/** A conditional write found the record at another revision: read it again and retry. */
export class RevisionConflictError extends TokenStoreError {
  constructor(tokenId: string) {
    super("conflict", `token ${tokenId} changed concurrently; retry`);
  }
}

/** A short random pause before retrying a conditional write, so that writers in contention spread out. */
export function backOff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 50);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
