// Ports tornado.httputil._parse_request_range and _get_content_range: the Range and Content-Range headers.

import { pythonStrip } from "./whitespace.js";

/**
 * A parsed `Range` header as slice indexes: `[start, end]` where `end` is exclusive, a
 * negative `start` counts from the end (a suffix range), and `undefined` means "from the
 * beginning" / "to the end".
 */
export type RequestRange = [start: number | undefined, end: number | undefined];

const DIGITS_RE = /^\d+$/;

function intOrUndefined(text: string): number | undefined | null {
  const stripped = pythonStrip(text);
  if (stripped === "") return undefined;
  if (!DIGITS_RE.test(stripped)) return null;
  const value = Number(stripped);
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * Parses a `Range` header of one byte range into slice indexes, or `null` when the header is
 * not a single `bytes=` range (other units, several ranges, malformed numbers). Tornado:
 * `httputil._parse_request_range`.
 *
 * @example
 * parseRequestRange("bytes=1-2");  // [1, 3]  → body.subarray(1, 3)
 * parseRequestRange("bytes=6-");   // [6, undefined]
 * parseRequestRange("bytes=-6");   // [-6, undefined]: the last 6 bytes
 * parseRequestRange("bytes=-0");   // [undefined, 0]: nothing (unsatisfiable)
 * parseRequestRange("bytes=1-2,6-10"); // null
 */
export function parseRequestRange(header: string): RequestRange | null {
  const equals = header.indexOf("=");
  const unit = pythonStrip(equals < 0 ? header : header.slice(0, equals));
  if (unit !== "bytes") return null;
  const value = pythonStrip(equals < 0 ? "" : header.slice(equals + 1));
  const dash = value.indexOf("-");
  let start = intOrUndefined(dash < 0 ? value : value.slice(0, dash));
  let end = intOrUndefined(dash < 0 ? "" : value.slice(dash + 1));
  if (start === null || end === null) return null;
  if (end !== undefined) {
    if (start === undefined) {
      if (end !== 0) {
        start = -end;
        end = undefined;
      }
    } else {
      end += 1;
    }
  }
  return [start, end];
}

/**
 * The `Content-Range` value for the slice `[start, end)` of a `total`-byte body
 * (`undefined` start: 0; `undefined` end: the end). Tornado: `httputil._get_content_range`.
 *
 * @example
 * formatContentRange(1, 3, 4);                  // "bytes 1-2/4"
 * formatContentRange(undefined, undefined, 4);  // "bytes 0-3/4"
 */
export function formatContentRange(start: number | undefined, end: number | undefined, total: number): string {
  const first = start || 0;
  const last = (end || total) - 1;
  return `bytes ${first}-${last}/${total}`;
}
