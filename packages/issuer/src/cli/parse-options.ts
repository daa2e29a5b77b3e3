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
 * `--expires -5d` as `--expires=-5d`: `parseArgs` calls a value that starts
 * with a dash ambiguous and answers with three lines, though only an option
 * of ours can be mistaken for one. A value that is one of our options stays
 * apart (`--name --json` is then "--name needs a value").
 */
function attachDashValues(args: readonly string[], options: Options): string[] {
  const isOption = (arg: string) =>
    arg === "--" ||
    (arg.startsWith("--") && Object.hasOwn(options, arg.slice(2).split("=")[0] ?? "")) ||
    Object.values(options).some((o) => o.short !== undefined && arg === `-${o.short}`);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : undefined;
    const option = name !== undefined && Object.hasOwn(options, name) ? options[name] : undefined;
    if (option?.type === "string" && next?.startsWith("-") && !isOption(next)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else out.push(arg);
  }
  return out;
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
    parsed = parseArgs({ args: attachDashValues(args, options), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw fail(oneLine(error as Error & { code?: unknown }));
  }
  const [extra] = parsed.positionals;
  if (!positionals && extra !== undefined) throw fail(`unexpected argument ${JSON.stringify(extra)}`);
  return parsed;
}
