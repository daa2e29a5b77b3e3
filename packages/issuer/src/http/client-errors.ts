import type { Socket } from "node:net";
import type { IssuerErrorCode } from "./errors.js";
import { errorBody, HttpError } from "./http-error.js";

/** Reason phrases of the statuses a request that never reached Fastify is answered with. */
const REASONS: Readonly<Record<number, string>> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/** The error-table code for an error Node's HTTP parser raised on a connection. */
function codeFor(error: NodeJS.ErrnoException): IssuerErrorCode {
  if (error.code === "HPE_HEADER_OVERFLOW") return "headers_too_large";
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return "request_timeout";
  return "request_invalid";
}

/**
 * Fastify's `clientErrorHandler`: a request Node refused before any route
 * saw it (headers over Node's 16 kB limit, such as a 100 kB `DPoP` proof; a
 * client too slow to send its request; bytes that are not HTTP) gets the
 * error table's JSON body like every other answer, then the connection closes.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const answer = new HttpError(codeFor(error));
  const body = JSON.stringify(errorBody(answer));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${REASONS[answer.statusCode] ?? "Bad Request"}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
