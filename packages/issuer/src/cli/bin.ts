#!/usr/bin/env node
import { main } from "./main.js";

const code = await main(process.argv.slice(2));
// -1: a long-running command (serve) that exits on a signal.
if (code >= 0) process.exit(code);
