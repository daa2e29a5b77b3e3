/** The names Shared Signals uses (OpenID SSF 1.0, CAEP 1.0, RISC 1.0, RFC 8935/8936). */

export const CAEP = "https://schemas.openid.net/secevent/caep/event-type/";
export const RISC = "https://schemas.openid.net/secevent/risc/event-type/";
export const SSF = "https://schemas.openid.net/secevent/ssf/event-type/";

export const CREDENTIAL_CHANGE = `${CAEP}credential-change`;
export const SESSION_REVOKED = `${CAEP}session-revoked`;
export const CREDENTIAL_COMPROMISE = `${RISC}credential-compromise`;
export const VERIFICATION = `${SSF}verification`;
export const STREAM_UPDATED = `${SSF}stream-updated`;

/** Every event type this transmitter sends: `events_supported`. */
export const EVENTS_SUPPORTED = [
  CREDENTIAL_CHANGE,
  SESSION_REVOKED,
  CREDENTIAL_COMPROMISE,
  VERIFICATION,
  STREAM_UPDATED,
] as const;

/** Event types a stream always gets, requested or not (SSF 1.0 §8.1.4, §8.1.5). */
export const STREAM_CONTROL_EVENTS: readonly string[] = [VERIFICATION, STREAM_UPDATED];

/** RFC 8935 push delivery. */
export const PUSH_METHOD = "urn:ietf:rfc:8935";
/** RFC 8936 poll delivery. */
export const POLL_METHOD = "urn:ietf:rfc:8936";

/** The `typ` of every SET (RFC 8417 §2.3). */
export const SET_TYP = "secevent+jwt";
/** The media type a pushed SET is POSTed as (RFC 8935 §2). */
export const SET_MEDIA_TYPE = "application/secevent+jwt";

/** Stream states (SSF 1.0 §8.1.2). */
export const STREAM_STATUSES = ["enabled", "paused", "disabled"] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

/** The role a PAT needs to manage streams (an admin PAT may too). */
export const SSF_RECEIVER_ROLE = "ssf-receiver";
