import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** File in the data dir telling local tools where the embedded issuer listens: `{ url, pid }`. */
export const RUNNING_ISSUER_FILE = "issuer.json";

export interface RunningIssuer {
  readonly url: string;
  readonly pid?: number;
}

/** What `<dataDir>/issuer.json` says, or null when there is no such file (or it is not ours). */
export async function readRunningIssuer(dataDir: string): Promise<RunningIssuer | null> {
  try {
    const parsed = JSON.parse(await readFile(join(dataDir, RUNNING_ISSUER_FILE), "utf8")) as Record<string, unknown>;
    if (typeof parsed.url !== "string") return null;
    return { url: parsed.url, ...(typeof parsed.pid === "number" ? { pid: parsed.pid } : {}) };
  } catch {
    return null;
  }
}
