/** An error the CLI prints as one line (`patgate: <message>`) before exiting non-zero. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    /** Process exit code; 2 for usage errors, 1 otherwise. */
    readonly exitCode: number = 1,
  ) {
    super(message);
  }
}
