// Ports tornado.httputil.parse_body_arguments / parse_multipart_form_data (multipart through busboy),
// plus the strict Content-Type parser and the JSON body parser every body reader shares.

import busboy from "busboy";
import { isAscii } from "node:buffer";
import type { Readable } from "node:stream";
import { HTTPInputError } from "./errors.js";
import type { FileMap, HTTPFile } from "./request.js";
import { type ArgumentMap, parseUrlencoded } from "./urlencoded.js";

// ---- Content-Type

/** A parsed `Content-Type` (media type) header. */
export interface ContentType {
  /** `type/subtype`, lower-cased, e.g. `multipart/form-data`. */
  readonly mediaType: string;
  /** The top-level type, lower-cased, e.g. `multipart`. */
  readonly type: string;
  /** The subtype, lower-cased, e.g. `form-data`. */
  readonly subtype: string;
  /** Parameters: lower-cased name → value (quotes and escapes removed). Has no prototype. */
  readonly parameters: Readonly<Record<string, string>>;
}

const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHARS[char.charCodeAt(0)] = 1;
}

function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

function skipSpaces(text: string, index: number): number {
  let i = index;
  while (i < text.length && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
  return i;
}

function readToken(text: string, index: number): number {
  let i = index;
  while (i < text.length && isTokenChar(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Parses a `Content-Type` header strictly by RFC 9110's `media-type` grammar: `type/subtype`
 * tokens, then `; name=value` parameters whose values are tokens or quoted strings.
 * Returns `null` for anything else (and for a parameter given twice), so no body parser ever
 * guesses from a malformed header.
 *
 * @example
 * parseContentType('multipart/form-data; boundary="a b"');
 * // { mediaType: "multipart/form-data", type: "multipart", subtype: "form-data", parameters: { boundary: "a b" } }
 */
export function parseContentType(header: string): ContentType | null {
  let i = skipSpaces(header, 0);
  const typeEnd = readToken(header, i);
  if (typeEnd === i || header.charCodeAt(typeEnd) !== 0x2f) return null;
  const subtypeStart = typeEnd + 1;
  const subtypeEnd = readToken(header, subtypeStart);
  if (subtypeEnd === subtypeStart) return null;
  const type = header.slice(i, typeEnd).toLowerCase();
  const subtype = header.slice(subtypeStart, subtypeEnd).toLowerCase();
  const parameters = Object.create(null) as Record<string, string>;
  i = skipSpaces(header, subtypeEnd);
  while (i < header.length) {
    if (header.charCodeAt(i) !== 0x3b) return null;
    i = skipSpaces(header, i + 1);
    if (i >= header.length) break;
    if (header.charCodeAt(i) === 0x3b) continue;
    const nameEnd = readToken(header, i);
    if (nameEnd === i || header.charCodeAt(nameEnd) !== 0x3d) return null;
    const name = header.slice(i, nameEnd).toLowerCase();
    let value: string;
    i = nameEnd + 1;
    if (header.charCodeAt(i) === 0x22) {
      let result = "";
      let j = i + 1;
      for (;;) {
        if (j >= header.length) return null;
        const code = header.charCodeAt(j);
        if (code === 0x22) break;
        if (code === 0x5c) {
          j++;
          if (j >= header.length) return null;
        } else if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
          return null;
        }
        result += header[j];
        j++;
      }
      value = result;
      i = j + 1;
    } else {
      const valueEnd = readToken(header, i);
      if (valueEnd === i) return null;
      value = header.slice(i, valueEnd);
      i = valueEnd;
    }
    if (name in parameters) return null;
    parameters[name] = value;
    i = skipSpaces(header, i);
  }
  return { mediaType: `${type}/${subtype}`, type, subtype, parameters };
}

// ---- limits

/**
 * Limits applied while parsing request data, against oversized or hostile bodies. Set them
 * for an application with the `bodyLimits` setting and for one handler class with
 * `static bodyLimits`. Defaults follow Tornado 6.5 where it has a limit.
 */
export interface BodyLimits {
  /** Most fields of a query string, an urlencoded body, or a multipart body. Default 1000. */
  readonly maxFields: number;
  /** Most parts of a multipart body (fields and files). Default 100, as Tornado 6.5. */
  readonly maxParts: number;
  /**
   * Largest header block of one multipart part, in bytes. Default 10 KiB, as Tornado 6.5.
   * (The streaming `multipartParts()` parser, busboy, has a fixed 16 KiB limit instead.)
   */
  readonly maxPartHeaderSize: number;
  /** Largest value of one multipart field (a part without a filename), in bytes. Default 1 MiB. */
  readonly maxFieldSize: number;
  /** Most files of a multipart body. Default: no limit of its own (`maxParts` applies). */
  readonly maxFiles: number;
  /** Largest uploaded file, in bytes. Default: no limit of its own (the body size limit applies). */
  readonly maxFileSize: number;
  /** Largest body `getJsonBody()` parses, in bytes. Default 1 MiB. */
  readonly maxJsonSize: number;
}

/** The default {@link BodyLimits}. */
export const DEFAULT_BODY_LIMITS: BodyLimits = Object.freeze({
  maxFields: 1000,
  maxParts: 100,
  maxPartHeaderSize: 10 * 1024,
  maxFieldSize: 1024 * 1024,
  maxFiles: Infinity,
  maxFileSize: Infinity,
  maxJsonSize: 1024 * 1024,
});

/** `base` with the limits given in `overrides` replaced. */
export function mergeBodyLimits(base: BodyLimits, overrides: Partial<BodyLimits> | undefined): BodyLimits {
  if (overrides === undefined) return base;
  const merged: Record<string, number> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[name] = value;
  }
  return Object.freeze(merged as unknown as BodyLimits);
}

// ---- form bodies

function badForm(message: string): HTTPInputError {
  return new HTTPInputError(`Invalid multipart/form-data: ${message}`, 400, "TYPHOON_ERR_BAD_MULTIPART");
}

function tooMany(what: string, limit: number, setting: string): HTTPInputError {
  return new HTTPInputError(
    `Too many ${what} in multipart/form-data body: more than ${limit} (raise bodyLimits.${setting} if this is expected)`,
    413,
    "TYPHOON_ERR_MULTIPART_LIMIT",
  );
}

function tooLarge(what: string, name: string, limit: number, setting: string): HTTPInputError {
  return new HTTPInputError(
    `${what} ${JSON.stringify(name)} of the multipart/form-data body is larger than ${limit} bytes (raise bodyLimits.${setting} if this is expected)`,
    413,
    "TYPHOON_ERR_MULTIPART_LIMIT",
  );
}

function unsupportedEncoding(encoding: string): HTTPInputError {
  return new HTTPInputError(
    `Unsupported Content-Encoding: ${encoding} (start the server with decompressRequest: true to accept gzip bodies)`,
    400,
    "TYPHOON_ERR_UNSUPPORTED_ENCODING",
  );
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const strictUtf8WithoutBom = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(bytes: Buffer, what: string, decoder = strictUtf8): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new HTTPInputError(`Invalid unicode in ${what}: not valid UTF-8`, 400, "TYPHOON_ERR_INVALID_UNICODE");
  }
}

/**
 * Parses a form body — `application/x-www-form-urlencoded` or `multipart/form-data` — into
 * `bodyArguments` and `files` (both updated in place); other types are left alone.
 * `contentEncoding` is the request's `Content-Encoding` header, if any: an encoded form body
 * is refused (Tornado passes the headers for this). Tornado: `tornado.httputil.parse_body_arguments`.
 * @throws HTTPInputError 400 for a malformed body, invalid UTF-8 or a `Content-Encoding` that
 *   was not decoded; 413 when a {@link BodyLimits} limit is passed.
 */
export function parseBodyArguments(
  contentType: ContentType | null,
  body: Buffer,
  bodyArguments: ArgumentMap,
  files: FileMap,
  contentEncoding?: string,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): void {
  if (contentType === null) return;
  const mediaType = contentType.mediaType;
  if (mediaType !== "application/x-www-form-urlencoded" && mediaType !== "multipart/form-data") return;
  if (contentEncoding !== undefined) throw unsupportedEncoding(contentEncoding);
  if (mediaType === "application/x-www-form-urlencoded") {
    // Raw bytes must be UTF-8 too (browsers send them for characters outside the form's
    // charset); percent-escapes are decoded as UTF-8 per value by parseUrlencoded. Bodies are
    // usually pure ASCII (browsers percent-encode the rest), which needs no validation.
    const text = isAscii(body) ? body.toString("latin1") : decodeUtf8(body, "body");
    parseUrlencoded(text, { source: "body", maxFields: limits.maxFields, into: bodyArguments });
    return;
  }
  const boundary = contentType.parameters["boundary"];
  if (!boundary) throw badForm("multipart boundary not found in the Content-Type header");
  parseMultipartFormData(boundary, body, bodyArguments, files, limits);
}

/** Checks a boundary by RFC 2046: 1 to 70 characters, not ending in a space. */
function checkBoundary(boundary: string): void {
  if (boundary.length > 70 || boundary.endsWith(" ") || !/^[0-9A-Za-z'()+_,\-./:=? ]+$/.test(boundary)) {
    throw badForm(`invalid boundary ${JSON.stringify(boundary.slice(0, 80))}`);
  }
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

interface Delimiter {
  /** Offset of the delimiter's leading CRLF (-2 when the body starts with `--boundary`). */
  readonly position: number;
  /** True for the closing delimiter (`--boundary--`). */
  readonly final: boolean;
}

/**
 * Splits a buffered multipart body into the content ranges of its parts exactly as busboy
 * reads it — a delimiter is `CRLF--boundary` followed by `--` (the end) or CRLF (a part) —
 * and checks what busboy would let through silently: a missing closing delimiter (a
 * truncated body), a part without a complete header block or with headers over
 * `maxPartHeaderSize`, more than `maxParts` parts. Linear in the body size.
 */
function frameMultipart(boundary: string, body: Buffer, limits: BodyLimits): [start: number, end: number][] {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const size = delimiter.length;
  const classify = (position: number): Delimiter | null => {
    const after = position + size;
    if (body[after] === 0x2d && body[after + 1] === 0x2d) return { position, final: true };
    if (body[after] === 0x0d && body[after + 1] === 0x0a) return { position, final: false };
    return null;
  };
  const nextDelimiter = (from: number): Delimiter => {
    for (let position = body.indexOf(delimiter, from); position !== -1; position = body.indexOf(delimiter, position + 1)) {
      const found = classify(position);
      if (found) return found;
    }
    throw badForm("no final boundary found (the body is truncated)");
  };
  // busboy reads the body as if a CRLF preceded it, so the body may start with `--boundary`.
  const startsWithDelimiter = body.subarray(0, size - 2).equals(delimiter.subarray(2));
  let current = (startsWithDelimiter ? classify(-2) : null) ?? nextDelimiter(0);
  const parts: [number, number][] = [];
  while (!current.final) {
    if (parts.length === limits.maxParts) throw tooMany("parts", limits.maxParts, "maxParts");
    const headerStart = current.position + size + 2;
    const next = nextDelimiter(headerStart);
    let contentStart: number;
    if (body[headerStart] === 0x0d && body[headerStart + 1] === 0x0a) {
      contentStart = headerStart + 2;
    } else {
      const window = body.subarray(headerStart, Math.min(next.position, headerStart + limits.maxPartHeaderSize + 4));
      const headerEnd = window.indexOf(CRLFCRLF);
      if (headerEnd === -1) {
        if (window.length === limits.maxPartHeaderSize + 4) {
          throw new HTTPInputError(
            `Invalid multipart/form-data: the headers of part ${parts.length + 1} are larger than ${limits.maxPartHeaderSize} bytes ` +
              "(raise bodyLimits.maxPartHeaderSize if this is expected)",
            413,
            "TYPHOON_ERR_MULTIPART_LIMIT",
          );
        }
        throw badForm(`part ${parts.length + 1} has no complete header block`);
      }
      contentStart = headerStart + headerEnd + 4;
    }
    parts.push([contentStart, next.position]);
    current = next;
  }
  return parts;
}

interface PartInfo {
  readonly name: string | undefined;
  readonly filename: string | undefined;
  readonly contentType: string;
}

/**
 * Parses a buffered `multipart/form-data` body into `bodyArguments` (parts without a
 * filename, decoded as strict UTF-8) and `files` (parts with a filename; their `body` is a
 * slice of `body`, not a copy), updating both in place. busboy parses the part headers
 * (`Content-Disposition` with `filename*=` of RFC 5987, `Content-Type`); filenames are kept
 * as sent, paths included. Strict as Tornado: a truncated body, a part without a complete
 * header block or without `Content-Disposition: form-data; name=...` is a 400; the
 * {@link BodyLimits} give 413. Tornado: `tornado.httputil.parse_multipart_form_data`.
 */
export function parseMultipartFormData(
  boundary: string,
  body: Buffer,
  bodyArguments: ArgumentMap,
  files: FileMap,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): void {
  let unquoted = boundary;
  if (unquoted.length >= 2 && unquoted.startsWith('"') && unquoted.endsWith('"')) unquoted = unquoted.slice(1, -1);
  checkBoundary(unquoted);
  const ranges = frameMultipart(unquoted, body, limits);
  // busboy only parses the part headers here: with zero size limits it copies no content,
  // which is taken from the ranges framed above.
  const parser = busboy({
    headers: { "content-type": `multipart/form-data; boundary="${unquoted}"` },
    preservePath: true,
    defParamCharset: "utf8",
    limits: { parts: limits.maxParts + 1, fields: limits.maxFields, files: limits.maxFiles, fieldSize: 0, fileSize: 0 },
  });
  let error: HTTPInputError | undefined;
  const parts: PartInfo[] = [];
  const fail = (failure: HTTPInputError): void => {
    error ??= failure;
  };
  parser.on("field", (name: string | undefined, _value: string, info: busboy.FieldInfo) => {
    parts.push({ name, filename: undefined, contentType: info.mimeType });
  });
  parser.on("file", (name: string | undefined, stream: Readable, info: busboy.FileInfo) => {
    // Destroying the parser below errors an unfinished part's stream: it must not go unhandled.
    stream.on("error", () => undefined);
    stream.resume();
    parts.push({ name, filename: info.filename, contentType: info.mimeType });
  });
  parser.on("fieldsLimit", () => fail(tooMany("fields", limits.maxFields, "maxFields")));
  parser.on("filesLimit", () => fail(tooMany("files", limits.maxFiles, "maxFiles")));
  parser.on("error", (cause: Error) => fail(badForm(cause.message)));
  // busboy parses a written chunk synchronously: every part event fires before write() returns.
  parser.write(body);
  parser.destroy();
  if (error) throw error;
  if (parts.length !== ranges.length) throw badForm("a part has no 'Content-Disposition: form-data' header");
  for (let i = 0; i < parts.length; i++) {
    const { name, filename, contentType } = parts[i]!;
    if (!name) throw badForm(`part ${i + 1} has no name in its Content-Disposition header`);
    const [start, end] = ranges[i]!;
    const content = body.subarray(start, end);
    if (filename) {
      if (content.length > limits.maxFileSize) throw tooLarge("File", filename, limits.maxFileSize, "maxFileSize");
      const file: HTTPFile = { filename, body: content, contentType };
      (files[name] ??= []).push(file);
    } else {
      // As Tornado, a part without a filename (or with an empty one: an empty file input) is a field.
      if (content.length > limits.maxFieldSize) throw tooLarge("Field", name, limits.maxFieldSize, "maxFieldSize");
      (bodyArguments[name] ??= []).push(decodeUtf8(content, `body argument ${JSON.stringify(name)}`));
    }
  }
}

// ---- JSON

/** True for `application/json` and `+json` media types (`application/ld+json`, ...). */
export function isJsonMediaType(contentType: ContentType | null): boolean {
  if (contentType === null) return false;
  return contentType.mediaType === "application/json" || (contentType.type === "application" && contentType.subtype.endsWith("+json"));
}

function findProtoKey(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === "object" && item !== null) stack.push(item);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(value, "__proto__")) return true;
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === "object" && item !== null) stack.push(item);
    }
  }
  return false;
}

/** Options of {@link parseJsonBody}. */
export interface JsonBodyOptions {
  /** Largest body accepted, in bytes. Default 1 MiB (`bodyLimits.maxJsonSize`). */
  maxSize?: number;
  /** The request's `Content-Encoding` header, if any: an encoded body is refused. */
  contentEncoding?: string | undefined;
  /** The `Content-Type` header as sent, for the error message. */
  rawContentType?: string | undefined;
}

/**
 * Parses a JSON request body, for `RequestHandler.getJsonBody()`. The body must be sent as
 * `application/json` (or a `+json` type) in UTF-8, be at most `maxSize` bytes, and hold an
 * object or an array; any `__proto__` key is refused (prototype poisoning). Deeply nested
 * documents parse without recursion.
 * @throws HTTPInputError 415 for another content type, charset or an undecoded
 *   `Content-Encoding`; 413 over `maxSize`; 400 for empty, invalid or non-object JSON.
 */
export function parseJsonBody(body: Buffer, contentType: ContentType | null, options: JsonBodyOptions = {}): unknown {
  const { maxSize = DEFAULT_BODY_LIMITS.maxJsonSize, contentEncoding, rawContentType: sent } = options;
  if (!isJsonMediaType(contentType)) {
    throw new HTTPInputError(
      `Expected a JSON body (Content-Type: application/json), got ${sent === undefined ? "no Content-Type" : JSON.stringify(sent.slice(0, 100))}`,
      415,
      "TYPHOON_ERR_NOT_JSON",
    );
  }
  const charset = contentType!.parameters["charset"]?.toLowerCase();
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    throw new HTTPInputError(`JSON bodies must be UTF-8, got charset=${charset}`, 415, "TYPHOON_ERR_NOT_JSON");
  }
  if (contentEncoding !== undefined) {
    const error = unsupportedEncoding(contentEncoding);
    throw new HTTPInputError(error.message, 415, error.code);
  }
  if (body.length > maxSize) {
    throw new HTTPInputError(
      `JSON body is larger than ${maxSize} bytes (raise bodyLimits.maxJsonSize if this is expected)`,
      413,
      "TYPHOON_ERR_JSON_TOO_LARGE",
    );
  }
  if (body.length === 0) throw new HTTPInputError("Empty JSON body", 400, "TYPHOON_ERR_INVALID_JSON");
  const text = decodeUtf8(body, "JSON body", strictUtf8WithoutBom);
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    throw new HTTPInputError(`Invalid JSON body: ${(error as Error).message}`, 400, "TYPHOON_ERR_INVALID_JSON");
  }
  if (typeof value !== "object" || value === null) {
    throw new HTTPInputError(
      `JSON body must be an object or an array, got ${value === null ? "null" : typeof value}`,
      400,
      "TYPHOON_ERR_INVALID_JSON",
    );
  }
  if ((text.includes("__proto__") || text.includes("\\u")) && findProtoKey(value)) {
    throw new HTTPInputError('JSON body has a "__proto__" key (refused: prototype poisoning)', 400, "TYPHOON_ERR_INVALID_JSON");
  }
  return value;
}
