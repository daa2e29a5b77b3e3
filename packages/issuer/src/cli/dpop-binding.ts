import { readFile } from "node:fs/promises";
import { isJwkThumbprint, publicJwkThumbprint } from "@patgate/shared";
import type { IssueInput } from "../tokens/types.js";
import { CliError } from "./cli-error.js";

/** The DPoP flags of `tokens create`, as parsed. */
export interface DpopFlags {
  readonly "dpop-jkt"?: string;
  readonly "dpop-key"?: string;
  readonly "dpop-first-use"?: boolean;
}

/** Largest public JWK file read (an RSA-4096 public JWK is under 1 kB). */
const MAX_JWK_FILE_BYTES = 16 * 1024;

/** The thumbprint of the public JWK in `path`; a private key is refused (it must never be handed to patgate). */
async function thumbprintOfFile(path: string): Promise<string> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_JWK_FILE_BYTES) throw new CliError(`--dpop-key: ${path} is too large for a JWK`, 2);
    text = bytes.toString("utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`--dpop-key: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`, 2);
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new CliError(`--dpop-key: ${path} is not JSON`, 2);
  }
  if (typeof jwk === "object" && jwk !== null && "d" in jwk)
    throw new CliError(
      `--dpop-key: ${path} holds a private key; give the public JWK (patgate dpop keygen prints it)`,
      2,
    );
  const jkt = await publicJwkThumbprint(jwk);
  if (jkt === undefined) throw new CliError(`--dpop-key: ${path} is not a public JWK`, 2);
  return jkt;
}

/**
 * The key binding `tokens create` asks for: `--dpop-jkt` (a thumbprint),
 * `--dpop-key` (a public JWK file, whose thumbprint is sent), or
 * `--dpop-first-use`; at most one of them.
 */
export async function dpopBinding(flags: DpopFlags): Promise<Pick<IssueInput, "dpopJkt" | "dpopBindOnFirstUse">> {
  const given = [flags["dpop-jkt"], flags["dpop-key"], flags["dpop-first-use"]].filter((v) => v !== undefined);
  if (given.length > 1) throw new CliError("use only one of --dpop-jkt, --dpop-key and --dpop-first-use", 2);
  if (flags["dpop-first-use"]) return { dpopBindOnFirstUse: true };
  if (flags["dpop-key"] !== undefined) return { dpopJkt: await thumbprintOfFile(flags["dpop-key"]) };
  const jkt = flags["dpop-jkt"];
  if (jkt === undefined) return {};
  if (!isJwkThumbprint(jkt))
    throw new CliError("--dpop-jkt takes an RFC 7638 SHA-256 thumbprint (43 base64url characters)", 2);
  return { dpopJkt: jkt };
}
