// Ports tornado.escape: HTML, URL and JSON escaping, plus the small text helpers templates use.

import { HTML_ENTITIES } from "./html-entities.js";

const XHTML_ESCAPE_RE = /[&<>"']/g;
const XHTML_ESCAPE_TEST = /[&<>"']/;
const XHTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function replaceXhtmlChar(char: string): string {
  return XHTML_ESCAPES[char] ?? char;
}

/**
 * Escapes `<`, `>`, `"`, `'` and `&` so the value is safe inside HTML or XML
 * (attribute values must still be quoted). Tornado: `xhtml_escape`.
 * `null` and `undefined` become the empty string; other values go through `String()`.
 */
export function xhtmlEscape(value: unknown): string {
  const text = typeof value === "string" ? value : stringOf(value);
  return XHTML_ESCAPE_TEST.test(text) ? text.replace(XHTML_ESCAPE_RE, replaceXhtmlChar) : text;
}

function stringOf(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  return String(value);
}

const ENTITY_RE = /&(#?)(\w+?);/g;

function convertEntity(match: string, hash: string, name: string): string {
  if (hash === "#") {
    const hex = name[0] === "x" || name[0] === "X";
    const digits = hex ? name.slice(1) : name;
    const valid = hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits);
    const codePoint = valid ? Number.parseInt(digits, hex ? 16 : 10) : Number.NaN;
    return codePoint >= 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : match;
  }
  return Object.hasOwn(HTML_ENTITIES, name) ? String.fromCodePoint(HTML_ENTITIES[name]!) : match;
}

/** Un-escapes an XML-escaped string: named (HTML 4), decimal and hex entities. Tornado: `xhtml_unescape`. */
export function xhtmlUnescape(value: string | Buffer): string {
  return stringOf(value).replace(ENTITY_RE, convertEntity);
}

const QUOTE_EXTRA_RE = /[!'()*]/g;

function percentEncodeChar(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * URL-encodes a value (UTF-8). With `plus` (the default) spaces become `+` and `/` is
 * escaped, for query strings; without it spaces become `%20` and `/` is kept, for paths.
 * Only `A-Z a-z 0-9 _ . - ~` (and `/` without `plus`) stay unescaped, as Python's `quote`.
 * Tornado: `url_escape`.
 */
export function urlEscape(value: string | Buffer, plus = true): string {
  // Bytes are escaped as they are (Tornado: "byte strings are passed through as-is"), so
  // non-UTF-8 input such as Latin-1 keeps its byte values instead of becoming U+FFFD.
  if (Buffer.isBuffer(value)) return quoteBytes(value, plus);
  const encoded = encodeURIComponent(value).replace(QUOTE_EXTRA_RE, percentEncodeChar);
  return plus ? encoded.replace(/%20/g, "+") : encoded.replace(/%2F/g, "/");
}

function isAlwaysSafeByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a) ||
    byte === 0x5f || // _
    byte === 0x2e || // .
    byte === 0x2d || // -
    byte === 0x7e // ~
  );
}

// Python's quote_plus (plus) / quote(safe="/") over raw bytes.
function quoteBytes(bytes: Buffer, plus: boolean): string {
  let out = "";
  for (const byte of bytes) {
    if (isAlwaysSafeByte(byte) || (!plus && byte === 0x2f)) out += String.fromCharCode(byte);
    else if (plus && byte === 0x20) out += "+";
    else out += `%${byte < 16 ? "0" : ""}${byte.toString(16).toUpperCase()}`;
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * Percent-decodes a string to bytes, leaving malformed `%` sequences as they are
 * (Python's `unquote_to_bytes`). With `plus`, `+` becomes a space first.
 */
export function urlUnescapeToBuffer(value: string, plus = true): Buffer {
  const text = plus ? value.replace(/\+/g, " ") : value;
  const utf8Bytes = Buffer.from(text, "utf8");
  if (!text.includes("%")) return utf8Bytes;
  const out = Buffer.allocUnsafe(utf8Bytes.length);
  let length = 0;
  for (let i = 0; i < utf8Bytes.length; i++) {
    const byte = utf8Bytes[i]!;
    if (byte === 0x25 && i + 2 < utf8Bytes.length) {
      const high = hexValue(utf8Bytes[i + 1]!);
      const low = hexValue(utf8Bytes[i + 2]!);
      if (high >= 0 && low >= 0) {
        out[length++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

/**
 * Decodes a URL-encoded value as UTF-8; invalid byte sequences become U+FFFD, as
 * Python's `unquote`. With `plus` (the default) `+` means a space.
 * Tornado: `url_unescape`.
 */
export function urlUnescape(value: string | Buffer, plus = true): string {
  const text = stringOf(value);
  if (!text.includes("%") && !(plus && text.includes("+"))) return text;
  return urlUnescapeToBuffer(text, plus).toString("utf8");
}

const SCRIPT_CLOSE_RE = /<\//g;

/**
 * JSON-encodes a value, escaping `</` as `<\/` so the result is safe inside a
 * `<script>` element. Tornado: `json_encode`.
 */
export function jsonEncode(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError(`jsonEncode: ${typeof value} is not JSON-serializable`);
  return json.includes("</") ? json.replace(SCRIPT_CLOSE_RE, "<\\/") : json;
}

/** Parses a JSON string or UTF-8 buffer. Tornado: `json_decode`. */
export function jsonDecode(value: string | Buffer): unknown {
  return JSON.parse(stringOf(value));
}

/** Replaces every run of whitespace and control characters with one space, and trims. Tornado: `squeeze`. */
export function squeeze(value: string): string {
  return value.replace(/[\x00-\x20]+/g, " ").trim();
}

/** Encodes a string as UTF-8 bytes; a Buffer, `null` or `undefined` comes back unchanged. Tornado: `utf8`. */
export function utf8(value: string | Buffer): Buffer;
export function utf8(value: null | undefined): null | undefined;
export function utf8(value: string | Buffer | null | undefined): Buffer | null | undefined {
  return typeof value === "string" ? Buffer.from(value, "utf8") : value;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 bytes to a string, throwing a `TypeError` on invalid UTF-8; a string,
 * `null` or `undefined` comes back unchanged. Tornado: `to_unicode`.
 */
export function toUnicode(value: string | Buffer): string;
export function toUnicode(value: null | undefined): null | undefined;
export function toUnicode(value: string | Buffer | null | undefined): string | null | undefined {
  return Buffer.isBuffer(value) ? strictUtf8.decode(value) : value;
}

const WORD = String.raw`[\p{L}\p{N}_]`;
const NOT_WORD = String.raw`[^\p{L}\p{N}_]`;
// Python's \b is Unicode-aware; JavaScript's is not, even with the u flag.
const WORD_BOUNDARY = `(?:(?<=${WORD})(?=${NOT_WORD}|$)|(?<!${WORD})(?=${WORD}))`;
const URL_RE = new RegExp(
  WORD_BOUNDARY +
    String.raw`((?:([\p{L}\p{N}_-]+):(\/{1,3})|www[.])(?:(?:(?:[^\s&()]|&amp;|&quot;)*(?:[^!"#$%&'()*+,.:;<=>?@\[\]^${"`"}{|}~\s]))|(?:\((?:[^\s&()]|&amp;|&quot;)*\)))+)`,
  "gu",
);

/** Options of {@link linkify}, as Tornado's keyword arguments. */
export interface LinkifyOptions {
  /** Shorten long URLs in the link text (the full URL goes in `title`). */
  shorten?: boolean;
  /** Extra attributes for the `<a>` tag, or a function of the URL returning them. */
  extraParams?: string | ((url: string) => string);
  /** Only link URLs that carry a protocol (so `www.example.com` stays text). */
  requireProtocol?: boolean;
  /** Protocols that may be linked; default `["http", "https"]`. Never add `javascript`. */
  permittedProtocols?: readonly string[];
}

/**
 * Converts plain text to HTML with links: the text is HTML-escaped first, then URLs
 * become `<a href>` tags. Tornado: `linkify`.
 *
 * @example linkify("Hello http://tornadoweb.org!")
 * // 'Hello <a href="http://tornadoweb.org">http://tornadoweb.org</a>!'
 */
export function linkify(text: string | Buffer, options: LinkifyOptions = {}): string {
  const { shorten = false, requireProtocol = false, permittedProtocols = ["http", "https"] } = options;
  const extra = options.extraParams ?? "";
  const fixedParams = typeof extra === "string" && extra ? ` ${extra.trim()}` : "";

  function makeLink(_match: string, url: string, proto: string | undefined, slashes: string | undefined): string {
    if (requireProtocol && !proto) return url;
    if (proto && !permittedProtocols.includes(proto)) return url;
    const href = proto ? url : `http://${url}`;
    let params = typeof extra === "function" ? ` ${extra(href).trim()}` : fixedParams;
    const maxLength = 30;
    let shown = url;
    if (shorten && url.length > maxLength) {
      const protoLength = proto ? proto.length + 1 + (slashes ?? "").length : 0;
      const parts = url.slice(protoLength).split("/");
      if (parts.length > 1) {
        shown = url.slice(0, protoLength) + parts[0] + "/" + (parts[1] ?? "").slice(0, 8).split("?")[0]!.split(".")[0]!;
      }
      if (shown.length > maxLength * 1.5) shown = shown.slice(0, maxLength);
      if (shown !== url) {
        const amp = shown.lastIndexOf("&");
        if (amp > maxLength - 5) shown = shown.slice(0, amp);
        shown += "...";
        if (shown.length >= url.length) shown = url;
        else params += ` title="${href}"`;
      }
    }
    return `<a href="${href}"${params}>${shown}</a>`;
  }

  return xhtmlEscape(text).replace(URL_RE, makeLink);
}
