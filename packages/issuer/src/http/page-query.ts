import { type TOptional, type TString, Type } from "typebox";
import { invalidField } from "./http-error.js";

/**
 * The `limit` and `cursor` query parameters of every paged admin list, to
 * spread into a route's querystring schema. `limit` stays a string in the
 * schema (no coercion): {@link pageSize} reads it and names the field when bad.
 *
 * @example Type.Object({ owner: Type.Optional(Type.String()), ...pageQuery(100, 50) })
 */
export function pageQuery(max: number, fallback: number): { limit: TOptional<TString>; cursor: TOptional<TString> } {
  return {
    limit: Type.Optional(Type.String({ description: `1-${max}, default ${fallback}` })),
    cursor: Type.Optional(Type.String({ description: "from the previous page's nextCursor" })),
  };
}

/**
 * The page size a `limit` asks for: an integer from 1 to `max`, `fallback`
 * when absent. Anything else is a 400 `field_invalid` naming `limit`.
 *
 * @example pageSize("20", 100, 50) // 20
 */
export function pageSize(limit: string | undefined, max: number, fallback: number): number {
  if (limit === undefined) return fallback;
  const size = /^\d{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw invalidField("limit", `limit must be an integer from 1 to ${max}`);
  return size;
}
