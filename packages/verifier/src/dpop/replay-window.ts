import { createDpopReplayWindow, type DpopReplayWindow, dpopReplayWindowMs } from "@patgate/shared";

/**
 * The `jti` replay check of DPoP proofs at a resource server (RFC 9449
 * §11.1): in this process by default (the shared window of @patgate/shared),
 * or shared by every replica through Redis (`redis-replay.ts`).
 */
export interface ReplayStore {
  /** True the first time this key's `jti` is seen in the window; false for a replay; "full" when it cannot remember more. */
  firstUse(jkt: string, jti: string, nowMs: number): boolean | "full" | Promise<boolean>;
  close?(): Promise<void>;
}

export type ReplayWindow = DpopReplayWindow;

/** Every proof seen by this process while its `iat` could still be accepted (2 × maxAge + 1 s). */
export function createReplayWindow(maxAgeSeconds: number, capacity: number): ReplayWindow {
  return createDpopReplayWindow(dpopReplayWindowMs(maxAgeSeconds), capacity);
}
