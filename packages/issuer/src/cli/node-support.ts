import type { CliIO } from "./output.js";

// patgate runs on Node >= 20.19 (engines) and recommends Node 24, the LTS line
// CI and the Docker image run. Node 20 reached its end of life on 2026-04-30;
// the issuer and the worker say so in one line when they start on it.

/** The oldest Node major still maintained upstream: 22 (until 2027-04-30; then raise this to 24). */
const OLDEST_MAINTAINED_MAJOR = 22;

/** The Node major patgate recommends. */
export const RECOMMENDED_NODE_MAJOR = 24;

/**
 * The AWS SDK's documented switch (`@aws-sdk/core`) for its own nine-line
 * NodeVersionSupportWarning, printed through `process.emitWarning` by the
 * first DynamoDB client made on a Node below 22.
 */
export const SDK_NODE_WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/** The major of a `process.version` such as `v20.19.0`. */
export function nodeMajor(version: string): number {
  return Number.parseInt(version.replace(/^v/, ""), 10);
}

/**
 * One line for a Node past its end of life, or `undefined` on a maintained one.
 * @example endOfLifeNotice("v20.19.0") // "patgate: Node 20 is past its end of life; install Node 24 (LTS)"
 */
export function endOfLifeNotice(version: string): string | undefined {
  const major = nodeMajor(version);
  if (!(major < OLDEST_MAINTAINED_MAJOR)) return undefined;
  return `patgate: Node ${major} is past its end of life; install Node ${RECOMMENDED_NODE_MAJOR} (LTS)`;
}

/**
 * Where our notice applies, the SDK's banner says the same in nine lines on
 * every start: switch it off the way the SDK documents, unless the operator
 * set the variable already. Every other Node warning still prints.
 */
export function quietSdkNodeWarning(env: Record<string, string | undefined>, version: string): void {
  if (endOfLifeNotice(version) !== undefined) env[SDK_NODE_WARNING_SWITCH] ??= "true";
}

/** Writes the notice when `version` is past its end of life: `serve` and `worker` call it once as they start. */
export function tellIfPastEndOfLife(io: CliIO, version: string = process.version): void {
  const notice = endOfLifeNotice(version);
  if (notice !== undefined) io.err(notice);
}
