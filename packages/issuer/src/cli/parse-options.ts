import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliError } from "./cli-error.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
/** What `parseArgs` returns for these options, in strict mode with positionals. */
export type ParsedOptions<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/** The option a `parseArgs` message quotes (`'--owner <value>'` gives `--owner`). */
function quoted(message: string): string {
  return /'([^' ]+)/.exec(message)?.[1] ?? "";
}

/** `parseArgs`'s multi-line messages as one line a person reads. */
function oneLine(error: { code?: unknown; message: string }): string {
  const name = quoted(error.message);
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${name}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${JSON.stringify(name)}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return / does not take an argument/.test(error.message) ? `${name} takes no value` : `${name} needs a value`;
    default:
      return error.message.split("\n")[0] ?? "bad arguments";
  }
}

/**
 * `parseArgs` in strict mode, whose errors are one line naming the option and
 * pointing at `helpCommand`'s `--help`. With `positionals: false` (the
 * default is true) a positional argument is an error too.
 *
 * @example parseOptions(["--json"], { json: { type: "boolean" } }, "keys rotate").values.json // true
 */
export function parseOptions<T extends Options>(
  args: readonly string[],
  options: T,
  helpCommand: string,
  positionals = true,
): ParsedOptions<T> {
  const fail = (problem: string) => new CliError(`${problem} (see "patgate ${helpCommand} --help")`, 2);
  let parsed: ParsedOptions<T>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw fail(oneLine(error as Error & { code?: unknown }));
  }
  const [extra] = parsed.positionals;
  if (!positionals && extra !== undefined) throw fail(`unexpected argument ${JSON.stringify(extra)}`);
  return parsed;
}
