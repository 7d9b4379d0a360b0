// Ports tornado.web's signed values: create_signed_value, decode_signed_value, get_signature_key_version.

import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import type { CookieOptions } from "../http/cookies.js";
import { InvalidArgumentError } from "../util/errors.js";
import { genLog } from "../util/log.js";

/**
 * The secret signed values are made with: one secret, or (**key rotation**) several by
 * integer version, `{0: "old secret", 1: "new secret"}`, used with a `keyVersion` that names
 * the one that signs new values. Tornado: the `cookie_secret` setting.
 */
export type CookieSecret = string | Buffer | Readonly<Record<number, string | Buffer>>;

/** Options of {@link createSignedValue}. */
export interface CreateSignedValueOptions {
  /** Format: 2 (HMAC-SHA256 over length-prefixed fields, the default) or 1 (HMAC-SHA1, legacy). */
  version?: 1 | 2;
  /** Returns the current time in seconds (default: the system clock); for tests. */
  clock?: () => number;
  /** The key of a `{version: secret}` secret that signs; written into the value (version 2 only). */
  keyVersion?: number;
}

/** Options of {@link decodeSignedValue}. */
export interface DecodeSignedValueOptions {
  /** Values signed longer ago than this many days are refused. Default 31. */
  maxAgeDays?: number;
  /** Returns the current time in seconds (default: the system clock); for tests. */
  clock?: () => number;
  /** Oldest format accepted: 1 (default, both formats) or 2 (refuse legacy version-1 values). */
  minVersion?: 1 | 2;
}

/** Values dated further ahead than this are refused (Tornado checks it for version 1 only). */
const MAX_FUTURE_SECONDS = 31 * 86_400;
const PIPE = 0x7c;
const COLON = 0x3a;

function systemClock(): number {
  return Date.now() / 1000;
}

function isSecretMap(secret: CookieSecret): secret is Readonly<Record<number, string | Buffer>> {
  return typeof secret === "object" && !Buffer.isBuffer(secret);
}

function secretForVersion(secret: Readonly<Record<number, string | Buffer>>, keyVersion: number): string | Buffer | undefined {
  const key = String(keyVersion);
  return Object.hasOwn(secret, key) ? (secret as Readonly<Record<string, string | Buffer>>)[key] : undefined;
}

/** HMAC keys of string secrets, imported once: signing with a KeyObject skips re-importing the key. */
const keyObjects = new Map<string, KeyObject>();

function hmacKey(secret: string | Buffer): KeyObject | Buffer {
  if (typeof secret !== "string") return secret;
  let key = keyObjects.get(secret);
  if (key === undefined) {
    if (keyObjects.size >= 64) keyObjects.clear();
    key = createSecretKey(Buffer.from(secret, "utf8"));
    keyObjects.set(secret, key);
  }
  return key;
}

function signatureV1(secret: string | Buffer, ...parts: (string | Buffer)[]): string {
  const hmac = createHmac("sha1", hmacKey(secret));
  for (const part of parts) hmac.update(part);
  return hmac.digest("hex");
}

function signatureV2(secret: string | Buffer, signed: string | Buffer): string {
  return createHmac("sha256", hmacKey(secret)).update(signed).digest("hex");
}

/** Constant-time comparison of a given signature with the expected (ASCII hex) one. */
function signatureMatches(given: Buffer, expected: string): boolean {
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, Buffer.from(expected, "latin1"));
}

function field(value: string): string {
  return `${Buffer.byteLength(value)}:${value}`;
}

/**
 * Signs and timestamps `value` so it cannot be forged, bound to `name` (a value signed for one
 * cookie is refused under another name). The result is ASCII and byte-for-byte what Python
 * Tornado's `create_signed_value` produces for the same secret, name, value and clock, so
 * either side reads the other's values. Used by `setSignedCookie`; call it directly to sign
 * values that are not cookies (tokens in URLs, hidden fields...).
 * Tornado: `tornado.web.create_signed_value`.
 * @throws InvalidArgumentError for an unsupported version, a `{version: secret}` secret
 *   without `keyVersion` (or with version 1), or a `keyVersion` the secret does not have.
 *
 * @example
 * const token = createSignedValue(secret, "reset", String(userId));
 * // later: decodeSignedValue(secret, "reset", token, { maxAgeDays: 1 })?.toString()
 */
export function createSignedValue(secret: CookieSecret, name: string, value: string | Buffer, options: CreateSignedValueOptions = {}): string {
  const { version = 2, clock = systemClock, keyVersion } = options;
  const now = clock();
  if (!Number.isFinite(now)) throw new InvalidArgumentError(`clock() must return seconds as a finite number, got ${now}`);
  const timestamp = String(Math.trunc(now) || 0);
  const encoded = (typeof value === "string" ? Buffer.from(value, "utf8") : value).toString("base64");
  if (version === 1) {
    if (isSecretMap(secret)) {
      throw new InvalidArgumentError("version 1 signed values cannot use a {version: secret} secret: use version 2", "TYPHOON_ERR_SIGNED_VALUE");
    }
    return `${encoded}|${timestamp}|${signatureV1(secret, name, encoded, timestamp)}`;
  }
  if (version !== 2) throw new InvalidArgumentError(`unsupported signed value version ${String(version)}: use 1 or 2`, "TYPHOON_ERR_SIGNED_VALUE");
  if (keyVersion !== undefined && !Number.isSafeInteger(keyVersion)) {
    throw new InvalidArgumentError(`keyVersion must be an integer, got ${keyVersion}`, "TYPHOON_ERR_SIGNED_VALUE");
  }
  // Fields are length-prefixed (the name in UTF-8 bytes; Tornado counts characters, which
  // only differs for non-ASCII names, which Tornado itself cannot read back).
  const toSign = `2|${field(String(keyVersion ?? 0))}|${field(timestamp)}|${field(name)}|${field(encoded)}|`;
  let key: string | Buffer | undefined;
  if (isSecretMap(secret)) {
    if (keyVersion === undefined) {
      throw new InvalidArgumentError("a {version: secret} cookieSecret needs keyVersion to say which key signs", "TYPHOON_ERR_SIGNED_VALUE");
    }
    key = secretForVersion(secret, keyVersion);
    if (key === undefined) {
      throw new InvalidArgumentError(`keyVersion ${keyVersion} is not one of the cookieSecret's keys`, "TYPHOON_ERR_SIGNED_VALUE");
    }
  } else {
    key = secret;
  }
  return toSign + signatureV2(key, toSign);
}

/**
 * The format version of a signed value: 1 unless it starts with `N|` (N a number below 1000
 * on a single line), as Tornado's `_get_version`.
 */
function signedValueVersion(value: Buffer): number {
  let end = 0;
  while (end < value.length && end < 4 && value[end]! >= 0x30 && value[end]! <= 0x39) end++;
  if (end === 0 || end > 3 || value[0] === 0x30 || value[end] !== PIPE) return 1;
  // Python's `(.*)$` does not cross a newline (one may end the value).
  const newline = value.indexOf(0x0a, end);
  if (newline >= 0 && newline !== value.length - 1) return 1;
  return Number(value.toString("latin1", 0, end));
}

/** Parses a decimal integer field (optionally negative); `null` when it is not one. */
function parseIntField(value: Buffer, start: number, end: number): number | null {
  let i = start;
  if (i < end && value[i] === 0x2d) i++;
  if (i === end || end - i > 15) return null;
  for (let j = i; j < end; j++) if (value[j]! < 0x30 || value[j]! > 0x39) return null;
  return Number(value.toString("latin1", start, end));
}

interface FieldsV2 {
  keyVersion: number;
  timestamp: number | null;
  nameStart: number;
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  signatureStart: number;
}

/** Splits a version-2 value into its fields; `null` when malformed. Tornado: `_decode_fields_v2`. */
function decodeFieldsV2(value: Buffer): FieldsV2 | null {
  let position = 2; // after "2|"
  const bounds: number[] = [];
  for (let index = 0; index < 4; index++) {
    const colon = value.indexOf(COLON, position);
    if (colon < 0) return null;
    const length = parseIntField(value, position, colon);
    if (length === null || length < 0) return null;
    const start = colon + 1;
    const end = start + length;
    if (end >= value.length || value[end] !== PIPE) return null;
    bounds.push(start, end);
    position = end + 1;
  }
  const keyVersion = parseIntField(value, bounds[0]!, bounds[1]!);
  if (keyVersion === null) return null;
  return {
    keyVersion,
    timestamp: parseIntField(value, bounds[2]!, bounds[3]!),
    nameStart: bounds[4]!,
    nameEnd: bounds[5]!,
    valueStart: bounds[6]!,
    valueEnd: bounds[7]!,
    signatureStart: position,
  };
}

function describeValue(value: Buffer): string {
  return JSON.stringify(value.toString("latin1", 0, Math.min(value.length, 200)));
}

function decodeV1(secret: string | Buffer, name: string, value: Buffer, maxAgeDays: number, clock: () => number): Buffer | null {
  const first = value.indexOf(PIPE);
  const second = first < 0 ? -1 : value.indexOf(PIPE, first + 1);
  if (second < 0 || value.indexOf(PIPE, second + 1) >= 0) return null;
  const payload = value.subarray(0, first);
  const timestampBytes = value.subarray(first + 1, second);
  if (!signatureMatches(value.subarray(second + 1), signatureV1(secret, name, payload, timestampBytes))) {
    genLog.warning(`Invalid cookie signature ${describeValue(value)}`);
    return null;
  }
  const timestamp = parseIntField(value, first + 1, second);
  if (timestamp === null) return null;
  const now = clock();
  if (timestamp < now - maxAgeDays * 86_400) {
    genLog.warning(`Expired cookie ${describeValue(value)}`);
    return null;
  }
  // The v1 signature has no delimiter between payload and timestamp, so digits can be moved
  // from one to the other without changing it: a far-future timestamp means tampering.
  if (timestamp > now + MAX_FUTURE_SECONDS) {
    genLog.warning(`Cookie timestamp in future; possible tampering ${describeValue(value)}`);
    return null;
  }
  if (timestampBytes[0] === 0x30) {
    genLog.warning(`Tampered cookie ${describeValue(value)}`);
    return null;
  }
  return Buffer.from(payload.toString("latin1"), "base64");
}

function decodeV2(secret: CookieSecret, name: string, value: Buffer, maxAgeDays: number, clock: () => number): Buffer | null {
  const fields = decodeFieldsV2(value);
  if (fields === null || fields.signatureStart === value.length) return null;
  let key: string | Buffer | undefined;
  if (isSecretMap(secret)) {
    key = secretForVersion(secret, fields.keyVersion);
    if (key === undefined) return null;
  } else {
    key = secret;
  }
  const expected = signatureV2(key, value.subarray(0, fields.signatureStart));
  if (!signatureMatches(value.subarray(fields.signatureStart), expected)) return null;
  if (!value.subarray(fields.nameStart, fields.nameEnd).equals(Buffer.from(name, "utf8"))) return null;
  const timestamp = fields.timestamp;
  if (timestamp === null) return null;
  const now = clock();
  if (timestamp < now - maxAgeDays * 86_400) return null;
  // Beyond Tornado (which checks this for version 1 only): a value dated far ahead, e.g. signed
  // on a machine with a wrong clock, would otherwise outlive maxAgeDays.
  if (timestamp > now + MAX_FUTURE_SECONDS) return null;
  return Buffer.from(value.toString("latin1", fields.valueStart, fields.valueEnd), "base64");
}

/**
 * Checks a value made by {@link createSignedValue} (by Typhoon or by Python Tornado with the
 * same secret) and returns what was signed, or `null` when it is missing, malformed, signed
 * with another secret or key version, signed for another `name`, older than `maxAgeDays`,
 * dated more than 31 days ahead, or of a version below `minVersion`. Signatures are compared
 * in constant time. A bad version-1 value is logged as a warning, as Tornado does.
 * Tornado: `tornado.web.decode_signed_value`.
 * @throws InvalidArgumentError for a `minVersion` other than 1 or 2.
 *
 * @example
 * const userId = decodeSignedValue(secret, "user", cookieValue)?.toString("utf8") ?? null;
 */
export function decodeSignedValue(
  secret: CookieSecret,
  name: string,
  value: string | Buffer | null | undefined,
  options: DecodeSignedValueOptions = {},
): Buffer | null {
  const { maxAgeDays = 31, clock = systemClock, minVersion = 1 } = options;
  if (minVersion !== 1 && minVersion !== 2) {
    throw new InvalidArgumentError(`unsupported minVersion ${String(minVersion)}: use 1 or 2`, "TYPHOON_ERR_SIGNED_VALUE");
  }
  if (!value) return null;
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  const version = signedValueVersion(bytes);
  if (version < minVersion) return null;
  if (version === 1) return isSecretMap(secret) ? null : decodeV1(secret, name, bytes, maxAgeDays, clock);
  if (version === 2) return decodeV2(secret, name, bytes, maxAgeDays, clock);
  return null;
}

/**
 * The key version a signed value says it was signed with (not verified), or `null` for a
 * version-1 or malformed value. Tornado: `tornado.web.get_signature_key_version`.
 */
export function getSignatureKeyVersion(value: string | Buffer): number | null {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  if (signedValueVersion(bytes) < 2) return null;
  return decodeFieldsV2(bytes)?.keyVersion ?? null;
}

/** Options of `RequestHandler.setSignedCookie`: the cookie's attributes, plus the format version. */
export interface SignedCookieOptions extends Omit<CookieOptions, "expiresDays"> {
  /** Days until the cookie expires; default 30, as Tornado; `null` for a browser-session cookie. */
  expiresDays?: number | null;
  /** Signed value format: 2 (default) or 1. */
  version?: 1 | 2;
}

/** Options of `RequestHandler.getSignedCookie`. */
export interface GetSignedCookieOptions {
  /** Values signed longer ago than this many days read as missing. Default 31. */
  maxAgeDays?: number;
  /** Oldest format accepted: 1 (default) or 2. */
  minVersion?: 1 | 2;
}
