/** Another process (a running issuer, a CLI command) holds the embedded store of this data dir. */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}
