import { parseArgs } from "node:util";
import type { IssuerConfig } from "../../config.js";
import { auditTableName, createTables, dynamoClient } from "../../dependencies.js";
import { startLocalDynamo } from "../../embedded/local-dynamo.js";
import { CliError } from "../cli-error.js";
import type { CliIO } from "../output.js";

/** `patgate table create [--json]`: the token table (with owner-index and TTL) and the audit table. */
export async function runTable(args: readonly string[], config: IssuerConfig, io: CliIO): Promise<void> {
  const [command, ...rest] = args;
  if (command !== "create") throw new CliError("usage: patgate table create [--json]", 2);
  let json = false;
  try {
    json = parseArgs({ args: rest, options: { json: { type: "boolean" } }, strict: true }).values.json ?? false;
  } catch (error) {
    throw new CliError(`${(error as Error).message}; usage: patgate table create [--json]`, 2);
  }
  const local = config.embedded ? await startLocalDynamo(config.dataDir) : undefined;
  const client = dynamoClient(config, local);
  try {
    await createTables(client, config);
  } finally {
    client.destroy();
    await local?.close();
  }
  const tables = [config.tableName, auditTableName(config)];
  io.out(json ? JSON.stringify({ tables }, null, 2) : `tables ready: ${tables.join(", ")}`);
}
