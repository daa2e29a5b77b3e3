/**
 * Where the verifier reports what goes wrong in the background, where no
 * caller would see it: today, why its deny-list cannot start. Anything with a
 * `warn(message)` fits: `console`, a pino logger, Fastify's `app.log`.
 *
 * @example
 * createVerifier({ issuer, audience, jwksUri, denyList: { redis }, logger: pino() });
 */
export interface VerifierLogger {
  /** One complete line: pino ignores arguments after the message, so nothing else is passed. */
  warn(message: string): void;
}

/** The logger an option asks for: `console` by default, none for `false`. */
export function resolveLogger(option: VerifierLogger | false | undefined): VerifierLogger | undefined {
  if (option === false) return undefined;
  return option ?? console;
}

/** An error's message on one line, whatever was thrown. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").trim() || "unknown error";
}
