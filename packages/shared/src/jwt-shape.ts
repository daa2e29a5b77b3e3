/** Three base64url segments: the compact serialization of a JWS (RFC 7515 §7.1). */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Whether a token has the shape of a JWT (as opposed to a PAT, which has one
 * dot): a routing decision only, it says nothing of the token's validity.
 *
 * @example
 * looksLikeJwt("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2ln") // true
 * looksLikeJwt("pat_3kqXb0cJ2Qe7T1mYw9HfL.Zm9v")           // false
 */
export function looksLikeJwt(token: string): boolean {
  return COMPACT_JWS.test(token);
}
