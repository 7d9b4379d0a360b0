// Ports tornado.httputil.HTTPHeaders: a case-insensitive, multi-valued header map.

import { InvalidArgumentError } from "../util/errors.js";

interface HeaderEntry {
  /** The name in canonical form, e.g. `Content-Type`. */
  name: string;
  values: string[];
}

/** Anything {@link HTTPHeaders} can be built from. */
export type HeadersInit =
  | HTTPHeaders
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | number | readonly string[] | undefined>>;

const canonicalCache = new Map<string, string>();

/**
 * Canonical form of a header name: each dash-separated word capitalised
 * (`content-type` → `Content-Type`), as Tornado's `_normalize_header`.
 */
export function canonicalHeaderName(name: string): string {
  let canonical = canonicalCache.get(name);
  if (canonical === undefined) {
    canonical = name
      .split("-")
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
      .join("-");
    if (canonicalCache.size < 1000) canonicalCache.set(name, canonical);
  }
  return canonical;
}

/**
 * HTTP headers: names are case-insensitive, a name may have several values.
 * `get` joins the values with `,` (as Tornado's `headers[name]`), `getList` returns them all.
 * Tornado: `tornado.httputil.HTTPHeaders`.
 *
 * @example
 * const headers = new HTTPHeaders({ "Content-Type": "text/html" });
 * headers.add("Set-Cookie", "A=B");
 * headers.add("Set-Cookie", "C=D");
 * headers.getList("set-cookie"); // ["A=B", "C=D"]
 */
export class HTTPHeaders implements Iterable<[string, string]> {
  #entries = new Map<string, HeaderEntry>();

  constructor(init?: HeadersInit) {
    if (init === undefined) return;
    if (init instanceof HTTPHeaders || Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) this.add(name, value);
      return;
    }
    for (const [name, value] of Object.entries(init)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value as readonly string[]) this.add(name, item);
      else this.add(name, String(value));
    }
  }

  /**
   * Builds headers from Node's flat `rawHeaders` list (`[name, value, name, value, ...]`),
   * keeping repeated headers as separate values.
   */
  static fromRawHeaders(raw: readonly string[]): HTTPHeaders {
    const headers = new HTTPHeaders();
    for (let i = 0; i + 1 < raw.length; i += 2) headers.add(raw[i]!, raw[i + 1]!);
    return headers;
  }

  /**
   * Parses a header block (`Name: value` lines separated by CRLF or LF; lines starting
   * with whitespace continue the previous value). Tornado: `HTTPHeaders.parse`.
   * @throws InvalidArgumentError on a line without a colon.
   */
  static parse(text: string): HTTPHeaders {
    const headers = new HTTPHeaders();
    let last: string | undefined;
    for (const line of text.split(/\r?\n/)) {
      if (line === "") continue;
      if (line[0] === " " || line[0] === "\t") {
        if (last === undefined) throw new InvalidArgumentError("first header line cannot start with whitespace");
        const entry = headers.#entries.get(last.toLowerCase())!;
        const index = entry.values.length - 1;
        entry.values[index] = `${entry.values[index]!} ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) throw new InvalidArgumentError(`malformed HTTP header line: ${JSON.stringify(line)}`);
      last = line.slice(0, colon);
      headers.add(last, line.slice(colon + 1).trim());
    }
    return headers;
  }

  /** Adds a value for `name`, keeping the values already there. */
  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const entry = this.#entries.get(key);
    if (entry) entry.values.push(value);
    else this.#entries.set(key, { name: canonicalHeaderName(name), values: [value] });
  }

  /** Replaces every value of `name` with `value`. */
  set(name: string, value: string): void {
    this.#entries.set(name.toLowerCase(), { name: canonicalHeaderName(name), values: [value] });
  }

  /** The values of `name` joined with `,`, or `defaultValue` when absent. */
  get(name: string): string | undefined;
  get(name: string, defaultValue: string): string;
  get(name: string, defaultValue?: string): string | undefined {
    const entry = this.#entries.get(name.toLowerCase());
    if (!entry) return defaultValue;
    return entry.values.length === 1 ? entry.values[0] : entry.values.join(",");
  }

  /** Every value of `name`, in the order added (empty when absent). Tornado: `get_list`. */
  getList(name: string): string[] {
    return this.#entries.get(name.toLowerCase())?.values.slice() ?? [];
  }

  /** True when `name` has at least one value. */
  has(name: string): boolean {
    return this.#entries.has(name.toLowerCase());
  }

  /** Removes every value of `name`. */
  delete(name: string): boolean {
    return this.#entries.delete(name.toLowerCase());
  }

  /** The canonical names present, each once. */
  keys(): string[] {
    return Array.from(this.#entries.values(), (entry) => entry.name);
  }

  /** Every `[name, value]` pair, a name repeated once per value. Tornado: `get_all`. */
  *entries(): IterableIterator<[string, string]> {
    for (const entry of this.#entries.values()) {
      for (const value of entry.values) yield [entry.name, value];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Number of distinct names. */
  get size(): number {
    return this.#entries.size;
  }

  /** A plain object: name → value, repeated values joined with `,` (`Set-Cookie` kept as an array). */
  toJSON(): Record<string, string | string[]> {
    const result: Record<string, string | string[]> = {};
    for (const [key, entry] of this.#entries) {
      result[entry.name] =
        key === "set-cookie" ? entry.values.slice() : (entry.values.length === 1 ? entry.values[0]! : entry.values.join(","));
    }
    return result;
  }

  /** A copy that can be changed without changing this one. */
  copy(): HTTPHeaders {
    return new HTTPHeaders(this);
  }
}
