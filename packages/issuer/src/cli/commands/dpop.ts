import { open } from "node:fs/promises";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { CliError } from "../cli-error.js";
import type { CliIO } from "../output.js";
import { parseOptions } from "../parse-options.js";

const OPTIONS = { out: { type: "string" }, json: { type: "boolean" } } as const;

/** Where `dpop keygen` writes the private key when `--out` is not given. */
export const DEFAULT_KEY_FILE = "dpop-key.jwk";

/**
 * Writes `text` to a new file with mode 0600: `wx` refuses an existing file
 * (a key is never overwritten) and the mode is set at creation, so the key is
 * never readable by others, not even for a moment.
 */
async function writeNewPrivateFile(path: string, text: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new CliError(`${path} exists; refusing to overwrite a key (choose another --out)`, 1);
    throw new CliError(`cannot create ${path} (${code ?? "error"})`, 1);
  }
  try {
    await handle.chmod(0o600); // the umask may have narrowed it further; never wider
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

/**
 * `patgate dpop keygen [--out key.jwk] [--json]`: a new ES256 key pair for
 * DPoP; the private JWK goes to a new file with mode 0600, and the public JWK
 * and its RFC 7638 thumbprint (for `tokens create --dpop-jkt`) are printed.
 */
export async function runDpop(args: readonly string[], io: CliIO): Promise<void> {
  const [command, ...rest] = args;
  if (command !== "keygen") throw new CliError(`dpop needs a command: keygen (see "patgate dpop --help")`, 2);
  const { values, positionals } = parseOptions(rest, OPTIONS, "dpop keygen");
  if (positionals.length > 0) throw new CliError(`dpop keygen takes no positional arguments`, 2);
  const path = values.out ?? DEFAULT_KEY_FILE;
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), alg: "ES256" };
  const jkt = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), alg: "ES256", kid: jkt };
  await writeNewPrivateFile(path, `${JSON.stringify(privateJwk, null, 2)}\n`);
  if (values.json) {
    io.out(JSON.stringify({ jkt, file: path, publicJwk }, null, 2));
    return;
  }
  io.out(
    [
      `private key written to ${path} (mode 0600; keep it apart from the PAT)`,
      `public JWK: ${JSON.stringify(publicJwk)}`,
      "thumbprint (bind a PAT with: patgate tokens create --dpop-jkt <it>):",
      jkt,
    ].join("\n"),
  );
}
