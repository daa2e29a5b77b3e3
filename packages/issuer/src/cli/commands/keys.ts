import { CliError } from "../cli-error.js";
import type { CliIO } from "../output.js";
import { parseOptions } from "../parse-options.js";
import type { TokenAdmin } from "../token-admin.js";

/** `patgate keys rotate [--json]`. */
export async function runKeys(args: readonly string[], open: () => Promise<TokenAdmin>, io: CliIO): Promise<void> {
  const [command, ...rest] = args;
  if (command !== "rotate")
    throw new CliError(`unknown keys command ${JSON.stringify(command ?? "")} (see "patgate keys --help")`, 2);
  const json = parseOptions(rest, { json: { type: "boolean" } }, "keys rotate", false).values.json ?? false;
  const admin = await open();
  let rotated: Awaited<ReturnType<TokenAdmin["rotateKeys"]>>;
  try {
    rotated = await admin.rotateKeys();
  } finally {
    await admin.close();
  }
  io.out(
    json
      ? JSON.stringify(rotated, null, 2)
      : `new signing key ${rotated.kid} is published now and signs from ${new Date(rotated.activatesAt * 1000).toISOString()}`,
  );
}
