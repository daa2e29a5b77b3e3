/**
 * The lines `patgate serve` and `patgate worker` print before their own on
 * the Node running the tests: one on Node 20 (past its end of life), none on
 * Node 22 and later. Written out here, not imported, so a changed text fails.
 */
export function nodeNoticeLines(version: string = process.versions.node): string[] {
  const major = Number(version.split(".")[0]);
  return major < 22 ? [`patgate: Node ${major} is past its end of life; install Node 24 (LTS)`] : [];
}
