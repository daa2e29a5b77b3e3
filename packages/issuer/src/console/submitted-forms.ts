import { redisKeys } from "@patgate/shared";
import type { RedisConnection } from "../redis/connection.js";
import { StoreUnavailableError } from "../tokens/errors.js";

/** What the first submission of a one-time form did: still running, or done with the PAT it made. */
export type FormSubmission = { readonly state: "running" } | { readonly state: "done"; readonly tokenId: string };

/**
 * The one-time forms (create, rotate) already submitted in a session, by
 * their form key, so a re-sent form (a reload of the page that answered it,
 * a double click) changes nothing. Only the PAT's id is kept, never its
 * secret, until the session could no longer send the form (its absolute end).
 */
export interface SubmittedForms {
  /** Claims the form for this submission until `untilMs`: true for the first submission only. */
  claim(sid: string, formKey: string, untilMs: number): Promise<boolean>;
  /** What the submission holding the form did; undefined when none holds it (given back, or expired). */
  get(sid: string, formKey: string): Promise<FormSubmission | undefined>;
  /** Records the PAT the claiming submission created or rotated. */
  finish(sid: string, formKey: string, tokenId: string, untilMs: number): Promise<void>;
  /** Gives the form back after its change failed, so that it can be sent again. */
  release(sid: string, formKey: string): Promise<void>;
}

/** The stored value: empty while the change runs, then the PAT's id. */
function submissionOf(value: string | null | undefined): FormSubmission | undefined {
  if (value === null || value === undefined) return undefined;
  return value === "" ? { state: "running" } : { state: "done", tokenId: value };
}

/** Submitted forms in this process only: what one issuer without Redis needs. */
export function memorySubmittedForms(now: () => number): SubmittedForms {
  const forms = new Map<string, { value: string; untilMs: number }>();
  const live = (key: string) => {
    const entry = forms.get(key);
    return entry !== undefined && entry.untilMs > now() ? entry : undefined;
  };
  return {
    async claim(sid, formKey, untilMs) {
      const key = `${sid}:${formKey}`;
      if (live(key)) return false;
      const at = now();
      for (const [id, entry] of forms) if (entry.untilMs <= at) forms.delete(id);
      forms.set(key, { value: "", untilMs });
      return true;
    },
    async get(sid, formKey) {
      return submissionOf(live(`${sid}:${formKey}`)?.value);
    },
    async finish(sid, formKey, tokenId, untilMs) {
      forms.set(`${sid}:${formKey}`, { value: tokenId, untilMs });
    },
    async release(sid, formKey) {
      forms.delete(`${sid}:${formKey}`);
    },
  };
}

/**
 * Submitted forms in Redis, one key per form under the prefix's hash tag
 * (so in the prefix's slot on a Redis Cluster), claimed with `SET NX`: of two
 * submissions of one form, on one issuer or two sharing the Redis, exactly
 * one runs the change. A Redis that cannot answer the claim is a 503 page,
 * never a second PAT.
 */
export function redisSubmittedForms(redis: RedisConnection, prefix: string, now: () => number): SubmittedForms {
  const keys = redisKeys(prefix);
  const unavailable = (error: unknown) => {
    throw new StoreUnavailableError(`console forms: ${(error as Error).message}`);
  };
  const ttlMs = (untilMs: number) => Math.max(1, Math.ceil(untilMs - now()));
  return {
    async claim(sid, formKey, untilMs) {
      const key = keys.consoleFormSubmitted(sid, formKey);
      const set = await redis.set(key, "", "PX", ttlMs(untilMs), "NX").catch(unavailable);
      return set === "OK";
    },
    async get(sid, formKey) {
      return submissionOf(await redis.get(keys.consoleFormSubmitted(sid, formKey)).catch(unavailable));
    },
    async finish(sid, formKey, tokenId, untilMs) {
      await redis.set(keys.consoleFormSubmitted(sid, formKey), tokenId, "PX", ttlMs(untilMs), "XX");
    },
    async release(sid, formKey) {
      await redis.del(keys.consoleFormSubmitted(sid, formKey));
    },
  };
}
