// Ports the XSRF token format of tornado.web.RequestHandler (xsrf_token, _decode_xsrf_token, _websocket_mask).

import { randomBytes, timingSafeEqual } from "node:crypto";
import { unquoteCookieValue } from "../http/cookies.js";
import { pythonStrip } from "../http/whitespace.js";
import { InvalidArgumentError } from "../util/errors.js";

/** The secret part of an XSRF cookie, decoded. Tornado: the tuple of `_get_raw_xsrf_token`. */
export interface RawXsrfToken {
  /** Format of the cookie it came from (1 or 2), or `null` when it was generated for this request. */
  readonly version: 1 | 2 | null;
  /** The random token bytes (16 for tokens Typhoon or Tornado generate). */
  readonly token: Buffer;
  /** When the token was generated, in seconds (the decode time for version-1 tokens, which have none). */
  readonly timestamp: number;
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const VERSION_RE = /^([1-9][0-9]*)\|[^\n]*\n?$/;
// Python's int(): optional whitespace and sign, digits with single underscores between them.
const PYTHON_INT_RE = /^[ \t\n\r\f\v]*[+-]?\d+(?:_\d+)*[ \t\n\r\f\v]*$/;

/** XORs `data` with the 4-byte `mask`, repeated (RFC 6455 masking). Tornado: `_websocket_mask`. */
export function websocketMask(mask: Buffer, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ mask[i & 3]!;
  return out;
}

function hexToBytes(text: string): Buffer | null {
  return HEX_RE.test(text) ? Buffer.from(text, "hex") : null;
}

/** A new random token, as Tornado's `os.urandom(16)`. */
export function generateRawXsrfToken(): RawXsrfToken {
  return { version: null, token: randomBytes(16), timestamp: Date.now() / 1000 };
}

/**
 * Decodes an XSRF token or cookie value: version 2 (`2|mask|masked token|timestamp`, hex)
 * or version 1 (the token in hex, or any other text taken as it is). Returns `null` for an
 * unknown version or a malformed version-2 value; never throws.
 * Tornado: `RequestHandler._decode_xsrf_token`.
 */
export function decodeXsrfToken(value: string): RawXsrfToken | null {
  const match = VERSION_RE.exec(value);
  if (match === null) {
    const token = hexToBytes(value) ?? Buffer.from(value, "utf8");
    return { version: 1, token, timestamp: Math.trunc(Date.now() / 1000) };
  }
  if (match[1] !== "2") return null;
  const parts = value.split("|");
  if (parts.length !== 4) return null;
  const mask = hexToBytes(parts[1]!);
  const masked = hexToBytes(parts[2]!);
  const timestamp = parts[3]!;
  // Tornado's pure-Python mask needs 4 bytes (its C version reads past a shorter one).
  if (mask === null || mask.length !== 4 || masked === null || !PYTHON_INT_RE.test(timestamp)) return null;
  return { version: 2, token: websocketMask(mask, masked), timestamp: Number(timestamp.replace(/_/g, "")) };
}

/**
 * Formats the token sent to clients: version 2 masks the token with 4 fresh random bytes, so
 * the text differs on every request (safe to put in compressed pages: BREACH) while it decodes
 * to the same secret; version 1 is the token in hex. Tornado: `RequestHandler.xsrf_token`.
 * @throws InvalidArgumentError for another version.
 */
export function encodeXsrfToken(raw: RawXsrfToken, version: number): string {
  if (version === 1) return raw.token.toString("hex");
  if (version === 2) {
    const mask = randomBytes(4);
    return `2|${mask.toString("hex")}|${websocketMask(mask, raw.token).toString("hex")}|${Math.trunc(raw.timestamp)}`;
  }
  throw new InvalidArgumentError(`unknown xsrfCookieVersion ${version}: use 1 or 2`, "TYPHOON_ERR_XSRF_VERSION");
}

/** Constant-time comparison of two decoded tokens (their lengths are not secret). */
export function xsrfTokensEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Every value of cookie `name` in a `Cookie` header, in order, read as `parseCookie` reads
 * them (which keeps only the last). Used to notice a second `_xsrf` cookie, e.g. one planted
 * for the parent domain by a sibling subdomain.
 */
export function cookieValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const equals = pair.indexOf("=");
    if (equals >= 0 && pythonStrip(pair.slice(0, equals)) === name) values.push(unquoteCookieValue(pythonStrip(pair.slice(equals + 1))));
  }
  return values;
}
