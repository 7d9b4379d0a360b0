// Ports tornado.escape.parse_qs_bytes (with keep_blank_values): query strings and urlencoded form bodies.

import { urlUnescapeToBuffer } from "../util/escape.js";
import { HTTPInputError } from "./errors.js";

/** Argument name → every value given for it, in order. Has no prototype, so `__proto__` is just a name. */
export type ArgumentMap = Record<string, string[]>;

/** Limits applied while parsing `a=1&b=2` text. */
export interface UrlencodedOptions {
  /** Most `name=value` fields accepted; more is a 400. Default 1000. */
  maxFields?: number;
  /** Where the text came from, for error messages: `"query string"` or `"body"`. */
  source?: string;
  /** Add the arguments to this map (and return it) instead of a new one. */
  into?: ArgumentMap;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/**
 * Decodes `+` and escapes of ASCII bytes (`%21`), the common case, in one pass; returns
 * `undefined` for anything else (an escape of a byte >= 0x80, a malformed escape).
 */
function decodeAsciiEscapes(text: string): string | undefined {
  let out = "";
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2b) {
      out += `${text.slice(last, i)} `;
      last = i + 1;
    } else if (code === 0x25) {
      const high = hexDigit(text.charCodeAt(i + 1));
      const low = high < 0 ? -1 : hexDigit(text.charCodeAt(i + 2));
      if (low < 0 || high >= 8) return undefined;
      out += text.slice(last, i) + String.fromCharCode(high * 16 + low);
      i += 2;
      last = i + 1;
    }
  }
  return out + text.slice(last);
}

function decodeComponent(text: string, source: string): string {
  if (!text.includes("+") && !text.includes("%")) return text;
  const ascii = decodeAsciiEscapes(text);
  if (ascii !== undefined) return ascii;
  try {
    // Escapes of UTF-8 sequences, in native code.
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    // Malformed escapes (kept as they are, as Python) or invalid UTF-8 (a 400): the exact path.
  }
  const bytes = urlUnescapeToBuffer(text, true);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new HTTPInputError(
      `Invalid unicode in ${source}: ${JSON.stringify(text.slice(0, 40))} is not valid UTF-8 once percent-decoded`,
      400,
      "TYPHOON_ERR_INVALID_UNICODE",
    );
  }
}

/** A new argument map with no prototype. */
export function createArgumentMap(): ArgumentMap {
  return Object.create(null) as ArgumentMap;
}

/**
 * Parses `application/x-www-form-urlencoded` text (a query string or a form body) into an
 * {@link ArgumentMap}: fields split on `&`, blank values kept, `+` and `%XX` decoded as UTF-8.
 * Fields are counted while splitting, so a huge input fails fast instead of being split first.
 * @throws HTTPInputError (400) on invalid UTF-8 or more than `maxFields` fields.
 */
export function parseUrlencoded(text: string, options: UrlencodedOptions = {}): ArgumentMap {
  const { maxFields = 1000, source = "query string" } = options;
  const result = options.into ?? createArgumentMap();
  let fields = 0;
  let start = 0;
  // The next "=" at or after `start`, found once and reused, so fields without "=" do not
  // each scan the rest of the text (which would be quadratic).
  let nextEquals = -1;
  while (start <= text.length) {
    let end = text.indexOf("&", start);
    if (end < 0) end = text.length;
    if (end > start) {
      if (++fields > maxFields) {
        throw new HTTPInputError(
          `Too many fields in ${source}: more than ${maxFields} (raise the maxFields limit if this is expected)`,
          400,
          "TYPHOON_ERR_TOO_MANY_FIELDS",
        );
      }
      if (nextEquals < start) {
        nextEquals = text.indexOf("=", start);
        if (nextEquals < 0) nextEquals = text.length;
      }
      const equals = nextEquals;
      const hasValue = equals < end;
      const name = decodeComponent(text.slice(start, hasValue ? equals : end), source);
      const value = hasValue ? decodeComponent(text.slice(equals + 1, end), source) : "";
      const values = result[name];
      if (values) values.push(value);
      else result[name] = [value];
    }
    start = end + 1;
  }
  return result;
}
