// Ports tornado.httputil.parse_cookie and the Set-Cookie side of Python's http.cookies (Morsel quoting).

import { stringifySetCookie } from "cookie";
import { InvalidArgumentError } from "../util/errors.js";
import { pythonStrip } from "./whitespace.js";

/** Cookie name → value, as sent by the client. Has no prototype, so `__proto__` is just a name. */
export type CookieMap = Record<string, string>;

/** `SameSite` attribute values (case-insensitive). */
export type SameSite = "Strict" | "Lax" | "None" | "strict" | "lax" | "none";

/**
 * Attributes of a cookie set with `setCookie`. Tornado: the keyword arguments of `set_cookie`.
 */
export interface CookieOptions {
  /** `Domain`: the cookie is also sent to subdomains of this domain. */
  domain?: string;
  /**
   * `Expires`: a `Date`, an HTTP date string, or (as Tornado) a Unix timestamp in seconds.
   * Without it (and without `expiresDays`/`maxAge`) the cookie lasts for the browser session.
   */
  expires?: Date | string | number;
  /** `Path`; default `/`. An empty string leaves the attribute out. */
  path?: string;
  /** Days from now until the cookie expires; ignored when `expires` is given. Tornado: `expires_days`. */
  expiresDays?: number;
  /** `Max-Age` in seconds (rounded down to an integer). Tornado: `max_age`. */
  maxAge?: number;
  /** `HttpOnly`: hidden from JavaScript in the page. Tornado: `httponly`. */
  httpOnly?: boolean;
  /** `Secure`: sent over HTTPS only. */
  secure?: boolean;
  /** `SameSite`: `Strict`, `Lax` or `None` (the last one needs `secure`). Tornado: `samesite`. */
  sameSite?: SameSite;
  /** `Partitioned` (CHIPS): stored per top-level site; needs `secure`. */
  partitioned?: boolean;
  /** `Priority` (Chrome): `Low`, `Medium` or `High`. */
  priority?: "Low" | "Medium" | "High" | "low" | "medium" | "high";
}

// Python's http.cookies: the characters a cookie name may have, and those a value may have unquoted.
const LEGAL_CHARS = "A-Za-z0-9!#$%&'*+\\-.^_`|~:";
const LEGAL_NAME_RE = new RegExp(`^[${LEGAL_CHARS}]+$`);
const LEGAL_VALUE_RE = new RegExp(`^[${LEGAL_CHARS}]*$`);
const UNESCAPED_RE = new RegExp(`[${LEGAL_CHARS} ()/<=>?@\\[\\]{}]`);
const FORBIDDEN_VALUE_RE = /[\x00-\x20]|[^\x00-\xff]/;
/** Morsel attribute names: Python refuses them as cookie names, so Tornado drops such cookies. */
const RESERVED_NAMES = new Set(["expires", "path", "comment", "domain", "max-age", "secure", "httponly", "version", "samesite"]);
const ESCAPE_RE = /\\(?:([0-3][0-7][0-7])|([^\n]))/g;

function unescapeMatch(_match: string, octal: string | undefined, char: string | undefined): string {
  return octal === undefined ? char! : String.fromCharCode(parseInt(octal, 8));
}

/**
 * Undoes the quoting of a cookie value: a value in double quotes has its backslash escapes
 * (`\"`, `\\`, octal `\073`) decoded; any other value is returned as is. Linear time.
 * Tornado: `_unquote_cookie` (Python's `http.cookies._unquote`).
 */
export function unquoteCookieValue(value: string): string {
  if (value.length < 2 || value.charCodeAt(0) !== 0x22 || value.charCodeAt(value.length - 1) !== 0x22) return value;
  const inner = value.slice(1, -1);
  return inner.includes("\\") ? inner.replace(ESCAPE_RE, unescapeMatch) : inner;
}

/**
 * Parses a `Cookie` header into name → value the way browsers do, not by the RFCs: pairs
 * split on `;`, names and values stripped, a pair without `=` is a value with an empty name,
 * quoted values unquoted, later duplicates win. Never throws; linear in the header length.
 * Tornado: `tornado.httputil.parse_cookie`.
 *
 * @example
 * parseCookie('a=1; b="x\\"y"'); // { a: "1", b: 'x"y' }
 */
export function parseCookie(header: string): CookieMap {
  const cookies = Object.create(null) as CookieMap;
  let start = 0;
  const length = header.length;
  while (start <= length) {
    let end = header.indexOf(";", start);
    if (end < 0) end = length;
    if (end > start) {
      const equals = header.indexOf("=", start);
      const hasEquals = equals >= 0 && equals < end;
      const name = hasEquals ? pythonStrip(header.slice(start, equals)) : "";
      const value = pythonStrip(header.slice(hasEquals ? equals + 1 : start, end));
      if (name !== "" || value !== "") cookies[name] = unquoteCookieValue(value);
    }
    start = end + 1;
  }
  return cookies;
}

/**
 * The cookies of a request as Tornado's `HTTPServerRequest.cookies` keeps them: those of
 * {@link parseCookie} whose names Python's cookie library accepts (no empty names, no
 * characters outside its token set, no attribute names such as `path`).
 */
export function parseRequestCookies(header: string): CookieMap {
  const parsed = parseCookie(header);
  for (const name in parsed) {
    if (!isLegalCookieName(name)) delete parsed[name];
  }
  return parsed;
}

/** True when `name` can be a cookie name: a token of Python's cookie character set, not an attribute name. */
export function isLegalCookieName(name: string): boolean {
  return LEGAL_NAME_RE.test(name) && !RESERVED_NAMES.has(name.toLowerCase());
}

function octalEscape(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0x22) return '\\"';
  if (code === 0x5c) return "\\\\";
  return UNESCAPED_RE.test(char) ? char : `\\${code.toString(8).padStart(3, "0")}`;
}

/**
 * Quotes a cookie value as Python's `http.cookies` does: values made only of token characters
 * are sent as they are, others in double quotes with `"` and `\` backslash-escaped and
 * characters such as `;` and `,` as octal escapes (`"a\073b"`). {@link unquoteCookieValue}
 * (and Tornado) read them back.
 */
export function quoteCookieValue(value: string): string {
  if (LEGAL_VALUE_RE.test(value)) return value;
  return `"${value.replace(/./gs, octalEscape)}"`;
}

function badCookie(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message, "TYPHOON_ERR_BAD_COOKIE");
}

function toExpiryDate(expires: Date | string | number): Date {
  const date = expires instanceof Date ? expires : typeof expires === "number" ? new Date(expires * 1000) : new Date(expires);
  if (!Number.isFinite(date.getTime())) {
    throw badCookie(`invalid cookie expiry ${JSON.stringify(String(expires))}: use a Date, an HTTP date or a Unix timestamp in seconds`);
  }
  return date;
}

/**
 * Formats one `Set-Cookie` header value: `name=value` (quoted as {@link quoteCookieValue})
 * and the attributes of `options` (`Path=/` unless `path` says otherwise).
 * @throws InvalidArgumentError (`TYPHOON_ERR_BAD_COOKIE`) for a name that is not a cookie token
 *   or is an attribute name, a value with spaces, control characters or characters outside
 *   Latin-1, or an invalid attribute (domain, path, expiry, sameSite...).
 */
export function formatSetCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!isLegalCookieName(name)) {
    throw badCookie(
      `invalid cookie name ${JSON.stringify(name)}: use letters, digits and !#$%&'*+-.^_\`|~: (and not an attribute name such as "path")`,
    );
  }
  if (FORBIDDEN_VALUE_RE.test(value)) {
    throw badCookie(
      `invalid cookie value for ${name}: ${JSON.stringify(value.slice(0, 60))} has spaces, control characters or ` +
        "characters outside Latin-1; encode it first (e.g. with urlEscape or base64)",
    );
  }
  let expires: Date | undefined;
  if (options.expires !== undefined) expires = toExpiryDate(options.expires);
  else if (options.expiresDays !== undefined) expires = new Date(Date.now() + options.expiresDays * 86_400_000);
  const maxAge = options.maxAge === undefined ? undefined : Math.floor(options.maxAge);
  try {
    return stringifySetCookie(
      {
        name,
        value: quoteCookieValue(value),
        path: options.path ?? "/",
        ...(options.domain ? { domain: options.domain } : {}),
        ...(expires ? { expires } : {}),
        ...(maxAge !== undefined ? { maxAge } : {}),
        ...(options.httpOnly ? { httpOnly: true } : {}),
        ...(options.secure ? { secure: true } : {}),
        ...(options.partitioned ? { partitioned: true } : {}),
        ...(options.sameSite ? { sameSite: options.sameSite.toLowerCase() as "strict" | "lax" | "none" } : {}),
        ...(options.priority ? { priority: options.priority.toLowerCase() as "low" | "medium" | "high" } : {}),
      },
      { encode: (text: string) => text },
    );
  } catch (error) {
    throw badCookie(`invalid attribute for cookie ${name}: ${(error as Error).message}`);
  }
}
