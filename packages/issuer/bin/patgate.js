#!/usr/bin/env node
// The `patgate` command: a committed shim so npm links the bin at install
// time, before the TypeScript sources are built into dist/.
try {
  await import("../dist/cli/bin.js");
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/cli/bin.js")) {
    process.stderr.write("patgate: not built yet; run `npm run build` (or `npm start`) first\n");
    process.exit(1);
  }
  throw error;
}
