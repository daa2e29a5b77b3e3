import type { IssuerConfig } from "../../config.js";
import { auditTableName, createTables, dynamoClient } from "../../dependencies.js";
import { startLocalDynamo } from "../../embedded/local-dynamo.js";
import { outboxTableName } from "../../revocation/outbox.js";
import { CliError } from "../cli-error.js";
import type { CliIO } from "../output.js";
import { parseOptions } from "../parse-options.js";

/** `patgate table create [--json]`: the token table (with owner-index and TTL), the audit table and the revocation outbox. */
export async function runTable(args: readonly string[], config: IssuerConfig, io: CliIO): Promise<void> {
  const [command, ...rest] = args;
  if (command !== "create")
    throw new CliError(`unknown table command ${JSON.stringify(command ?? "")} (see "patgate table --help")`, 2);
  const json = parseOptions(rest, { json: { type: "boolean" } }, "table create", false).values.json ?? false;
  const local = config.embedded ? await startLocalDynamo(config.dataDir) : undefined;
  const client = dynamoClient(config, local);
  try {
    await createTables(client, config);
  } finally {
    client.destroy();
    await local?.close();
  }
  const tables = [config.tableName, auditTableName(config), outboxTableName(config.tableName)];
  io.out(json ? JSON.stringify({ tables }, null, 2) : `tables ready: ${tables.join(", ")}`);
}
