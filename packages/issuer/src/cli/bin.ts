#!/usr/bin/env node
import { main } from "./main.js";
import { quietSdkNodeWarning } from "./node-support.js";

// Before any DynamoDB client exists: on a Node past its end of life, our one
// line (from serve and worker) replaces the AWS SDK's banner.
quietSdkNodeWarning(process.env, process.version);
const code = await main(process.argv.slice(2));
// -1: a long-running command (serve) that exits on a signal.
if (code >= 0) process.exit(code);
