import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, chromium, type Page } from "playwright-core";

/**
 * A real Chromium (Debian's package) driven by playwright-core. In CI (`CI`
 * set, as `.ci/run` does after installing Chromium with apt-get) a machine
 * without Chromium fails the browser tests; elsewhere they are skipped with a
 * warning printed once per run, so `npm test` still passes on a machine that
 * has only Node and redis-server.
 */

/** Flags that keep a headless Chromium off the network and quiet on a shared 2-core machine. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

const INSTALL_HINT = "Chromium is required for the browser tests: apt-get install -y chromium";

/** Where Chromium is: `/usr/bin/chromium`, else whatever `which chromium` finds, else undefined. */
function findChromium(): string | undefined {
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Where Chromium is; throws the install hint when it is missing. */
export function chromiumPath(): string {
  const found = findChromium();
  if (!found) throw new Error(INSTALL_HINT);
  return found;
}

/**
 * True when the browser tests must be skipped here: no Chromium, outside CI.
 * In CI a missing Chromium is a failure, never a skip.
 */
export function browserTestsSkipped(): boolean {
  if (findChromium()) return false;
  if (process.env.CI) throw new Error(`${INSTALL_HINT} (CI is set: the browser tests cannot be skipped)`);
  return true;
}

/** The warning the test run prints when it skips the browser tests. */
export const BROWSER_SKIP_WARNING = `browser tests SKIPPED: ${INSTALL_HINT}`;

/**
 * Launches Chromium. playwright-core gives every launch a fresh, temporary
 * user-data-dir (and every context its own cookies), removed on close.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_FLAGS, headless: true });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** One axe-core finding: its rule, impact and where. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the
 * page's own Content-Security-Policy stays as strict as it is) and returns
 * the serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run();
    return result.violations as {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[] }[];
    }[];
  });
  return found
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
}
