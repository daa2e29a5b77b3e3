import { parseArgs } from "node:util";
import { CliError } from "../cli-error.js";
import type { CliIO } from "../output.js";
import type { TokenAdmin } from "../token-admin.js";

/** `patgate keys rotate [--json]`. */
export async function runKeys(args: readonly string[], admin: TokenAdmin, io: CliIO): Promise<void> {
  const [command, ...rest] = args;
  if (command !== "rotate") throw new CliError("usage: patgate keys rotate [--json]", 2);
  let json = false;
  try {
    json = parseArgs({ args: rest, options: { json: { type: "boolean" } }, strict: true }).values.json ?? false;
  } catch (error) {
    throw new CliError(`${(error as Error).message}; usage: patgate keys rotate [--json]`, 2);
  }
  const rotated = await admin.rotateKeys();
  io.out(
    json
      ? JSON.stringify(rotated, null, 2)
      : `new signing key ${rotated.kid} is published now and signs from ${new Date(rotated.activatesAt * 1000).toISOString()}`,
  );
}
