// Ports tornado.web.StaticFileHandler: files from a directory, with versioned URLs, ETags, 304s and ranges.

import { createHash } from "node:crypto";
import { closeSync, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import { lstat, realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import type { ServerResponse } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { contentType as mimeContentType, lookup as mimeLookup } from "mime-types";
import { StreamClosedError } from "../http/errors.js";
import { formatContentRange, parseRequestRange } from "../http/ranges.js";
import { InvalidArgumentError, InvalidStateError } from "../util/errors.js";
import { genLog } from "../util/log.js";
import { HTTPError } from "./errors.js";
import { RequestHandler } from "./request-handler.js";
import type { ApplicationSettings } from "./settings.js";

/** `initialize` arguments of {@link StaticFileHandler}. */
export interface StaticFileHandlerArgs {
  /** The directory whose files are served (relative paths are resolved from the working directory). */
  path: string;
  /** File served for a directory, e.g. `index.html`; without it, directories answer 403. */
  defaultFilename?: string;
}

/** The class of a static file handler, as the `staticHandlerClass` setting holds it. */
export type StaticFileHandlerClass = typeof StaticFileHandler;

/** What `getContent` returns: the bytes at once, or pieces of them (preferred for large files). */
export type StaticContent = Buffer | AsyncIterable<Buffer>;

/** Bytes read from disk at a time, as Tornado. */
const CHUNK_SIZE = 64 * 1024;

// ---- the version (hash) cache

/** A version of a file and the `stat` it was computed for (NaN when unknown). Tornado: `_static_hashes`. */
interface CachedVersion {
  readonly version: string | null;
  readonly mtimeMs: number;
  readonly size: number;
}

const staticHashes = new Map<string, CachedVersion>();
/** Hashes being computed for requests, so simultaneous first requests read a file once. */
const pendingHashes = new Map<string, Promise<CachedVersion>>();
/** Bumped by `reset()`: a hash computed before it is not stored. */
let hashGeneration = 0;

function isCurrent(entry: CachedVersion, stats: Stats | undefined): boolean {
  return stats === undefined || (entry.mtimeMs === stats.mtimeMs && entry.size === stats.size);
}

/** SHA-512 of `content`, read piece by piece: memory stays flat whatever the file's size. */
async function hashContent(content: StaticContent): Promise<string> {
  const hasher = createHash("sha512");
  if (Buffer.isBuffer(content)) hasher.update(content);
  else for await (const chunk of content) hasher.update(chunk);
  return hasher.digest("hex");
}

/**
 * SHA-512 of a file read synchronously in 64 KiB pieces (flat memory), with the `stat` it was
 * read with. Only `staticUrl` (through `getVersion`) uses it, because a template calls
 * `staticUrl` synchronously; its result is cached, so a file is read this way once.
 */
function hashFileSync(absolutePath: string): CachedVersion {
  const fd = openSync(absolutePath, "r");
  try {
    const stats = fstatSync(fd);
    const hasher = createHash("sha512");
    const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) hasher.update(buffer.subarray(0, read));
    return { version: hasher.digest("hex"), mtimeMs: stats.mtimeMs, size: stats.size };
  } finally {
    closeSync(fd);
  }
}

function couldNotOpen(absolutePath: string, error: unknown): void {
  genLog.error(`Could not open static file '${absolutePath}': ${error instanceof Error ? error.message : String(error)}`);
}

/** The version of a file for `staticUrl`, computed synchronously when it is not cached. */
function versionSync(handlerClass: StaticFileHandlerClass, absolutePath: string): CachedVersion {
  try {
    if (handlerClass.getContentVersion === StaticFileHandler.getContentVersion && handlerClass.getContent === StaticFileHandler.getContent) {
      return hashFileSync(absolutePath);
    }
    const version = handlerClass.getContentVersion(absolutePath);
    if (typeof version !== "string") {
      version.catch(() => undefined);
      throw new InvalidStateError(
        `${handlerClass.name}.getContentVersion() returned a promise, but staticUrl() needs the version at once: ` +
          "return a string from getContentVersion, or override getVersion",
        "TYPHOON_ERR_ASYNC_STATIC_VERSION",
      );
    }
    return { version, mtimeMs: NaN, size: NaN };
  } catch (error) {
    couldNotOpen(absolutePath, error);
    return { version: null, mtimeMs: NaN, size: NaN };
  }
}

/** The version of a file for a request's ETag: from the cache when it matches `stats`, else computed asynchronously. */
function versionForRequest(handlerClass: StaticFileHandlerClass, absolutePath: string, stats: Stats | undefined): Promise<string | null> {
  const cached = staticHashes.get(absolutePath);
  if (cached !== undefined && isCurrent(cached, stats)) return Promise.resolve(cached.version);
  let pending = pendingHashes.get(absolutePath);
  if (pending === undefined) {
    const generation = hashGeneration;
    pending = Promise.resolve()
      .then(() => handlerClass.getContentVersion(absolutePath))
      .then(
        (version): CachedVersion => ({ version, mtimeMs: stats?.mtimeMs ?? NaN, size: stats?.size ?? NaN }),
        (error: unknown): CachedVersion => {
          couldNotOpen(absolutePath, error);
          return { version: null, mtimeMs: NaN, size: NaN };
        },
      )
      .then((entry) => {
        if (pendingHashes.get(absolutePath) === pending) pendingHashes.delete(absolutePath);
        if (generation === hashGeneration) staticHashes.set(absolutePath, entry);
        return entry;
      });
    pendingHashes.set(absolutePath, pending);
  }
  return pending.then((entry) => entry.version);
}

// ---- HTTP dates

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH = "(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)";
const TIME = String.raw`(\d\d):(\d\d):(\d\d)`;
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE_RE = new RegExp(String.raw`^(?:mon|tue|wed|thu|fri|sat|sun), (\d\d) ${MONTH} (\d{4}) ${TIME} GMT$`, "i");
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE_RE = new RegExp(String.raw`^(?:mon|tues|wednes|thurs|fri|satur|sun)day, (\d\d)-${MONTH}-(\d\d) ${TIME} GMT$`, "i");
/** `Sun Nov  6 08:49:37 1994` */
const ASCTIME_DATE_RE = new RegExp(String.raw`^(?:mon|tue|wed|thu|fri|sat|sun) ${MONTH} ( \d|\d\d) ${TIME} (\d{4})$`, "i");

function utcMilliseconds(year: number, month: string, day: number, hour: number, minute: number, second: number): number | null {
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  if (day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  const date = new Date(Date.UTC(year, monthIndex, day, hour, minute, second));
  // Date.UTC rolls Feb 30 over into March: such a date is invalid, not another day.
  return date.getUTCDate() === day ? date.getTime() : null;
}

/**
 * The time of an HTTP date (the three formats of RFC 9110 5.6.7) in milliseconds since the
 * epoch, or `null` for anything else; two-digit years read as Python's `email.utils` does.
 */
function parseHttpDate(text: string): number | null {
  const value = text.trim();
  let match = IMF_FIXDATE_RE.exec(value);
  if (match) return utcMilliseconds(Number(match[3]), match[2]!, Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6]));
  match = RFC850_DATE_RE.exec(value);
  if (match) {
    const shortYear = Number(match[3]);
    const year = shortYear > 68 ? 1900 + shortYear : 2000 + shortYear;
    return utcMilliseconds(year, match[2]!, Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6]));
  }
  match = ASCTIME_DATE_RE.exec(value);
  if (match) return utcMilliseconds(Number(match[6]), match[1]!, Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5]));
  return null;
}

// ---- content types

/**
 * Types for compressed files, as Tornado: a gzip file is `application/gzip` whatever it holds
 * (RFC 6713), other compressions are `application/octet-stream`.
 */
const COMPRESSED_TYPES: Readonly<Record<string, string>> = {
  ".gz": "application/gzip",
  ".tgz": "application/gzip",
  ".taz": "application/gzip",
  ".tz": "application/gzip",
  ".svgz": "application/gzip",
  ".bz2": "application/octet-stream",
  ".tbz2": "application/octet-stream",
  ".xz": "application/octet-stream",
  ".txz": "application/octet-stream",
  ".br": "application/octet-stream",
  ".Z": "application/octet-stream",
};

// ---- the handler

/** Resolves once `res` can take more data (or is gone): back-pressure for compressed output. */
function drained(res: ServerResponse): Promise<void> | undefined {
  if (!res.writableNeedDrain || res.destroyed) return undefined;
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** The answer to a file that vanished or cannot be read between `stat` and `open`. */
function fileError(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOENT" || code === "ENOTDIR") return new HTTPError(404);
  if (code === "EACCES" || code === "EPERM" || code === "EISDIR") return new HTTPError(403, `${path} is not readable`);
  return error;
}

/**
 * Serves the files of a directory: `GET`/`HEAD` with `Content-Type` (from the file name),
 * `Content-Length`, `Last-Modified`, an `Etag` from the content's hash, 304 answers to
 * `If-None-Match` / `If-Modified-Since`, single byte ranges (`Range`, 206, 416 when
 * unsatisfiable; a request for several ranges gets the whole file), and a one-year
 * `Cache-Control` for versioned URLs (`?v=`, made by `staticUrl`). Files are streamed from
 * disk in 64 KiB pieces with back-pressure, so their size does not matter. A path outside
 * the root — `..`, encoded or not, absolute paths, NUL bytes and, **beyond** Tornado, symlinks
 * that lead out of it — answers 403 or 404, never a file. With the `compressResponse` setting,
 * whole responses of compressible types are compressed; ranges are always of the identity bytes.
 *
 * `Application` registers it for `staticUrlPrefix` (`/static/`), `/favicon.ico` and
 * `/robots.txt` when the `staticPath` setting is set; add it to rules for other directories.
 * The rule's first group is the file's path. To change how URLs look, override
 * `makeStaticUrl`, `parseUrlPath`, `getCacheTime` and/or `getVersion`; to serve from somewhere
 * else than the file system, override `getContent`, `getContentSize`, `getModifiedTime`,
 * `getAbsolutePath` and `validateAbsolutePath`. The static methods are called on the class
 * (`this` is the subclass), as Tornado's classmethods. Tornado: `tornado.web.StaticFileHandler`.
 *
 * @example
 * new Application([
 *   ["/content/(.*)", StaticFileHandler, { path: "/var/www", defaultFilename: "index.html" }],
 * ]);
 */
export class StaticFileHandler extends RequestHandler {
  /** Seconds a versioned URL may be cached: one year (Tornado's is ten; RFC 9111 advises at most one). */
  static CACHE_MAX_AGE = 86400 * 365;

  /** The directory served (the `path` init argument). */
  root = "";
  /** File served for a directory (the `defaultFilename` init argument). Tornado: `default_filename`. */
  defaultFilename: string | undefined;
  /** The requested path relative to `root`, as `parseUrlPath` returned it. */
  path = "";
  /** The file served, as `validateAbsolutePath` returned it. Tornado: `absolute_path`. */
  absolutePath: string | null = null;
  /** When the file was last modified, as `getModifiedTime` returned it. */
  modified: Date | null = null;

  /** The `stat` of the path asked about in this request: the file is stat-ed once. */
  #stat: { path: string; stats: Promise<Stats | null> } | undefined;
  /** The file's version for the ETag, once known. */
  #version: string | null = null;

  /**
   * Forgets every cached file version (they are computed again on next use). `Application`
   * calls it when autoreload sees a change under `staticPath`. Tornado: `reset`.
   */
  static reset(): void {
    hashGeneration++;
    staticHashes.clear();
    pendingHashes.clear();
  }

  override initialize(initArgs: StaticFileHandlerArgs): void {
    if (typeof initArgs?.path !== "string") {
      throw new InvalidArgumentError(
        `${this.constructor.name} needs its directory: give the rule { path: "/var/www" } as init arguments`,
        "TYPHOON_ERR_STATIC_PATH",
      );
    }
    this.root = initArgs.path;
    this.defaultFilename = initArgs.defaultFilename;
  }

  /** Sends the file at `path` (the rule's first group). */
  get(path: string | undefined): Promise<void> {
    return this.#serve(path ?? "", true);
  }

  /** Sends the headers `get` would send, without the body. */
  head(path: string | undefined): Promise<void> {
    return this.#serve(path ?? "", false);
  }

  async #serve(urlPath: string, includeBody: boolean): Promise<void> {
    const handlerClass = this.constructor as StaticFileHandlerClass;
    this.path = this.parseUrlPath(urlPath);
    const absolutePath = await this.validateAbsolutePath(this.root, handlerClass.getAbsolutePath(this.root, this.path));
    if (absolutePath === null) return;
    this.absolutePath = absolutePath;
    this.modified = await this.getModifiedTime();
    const stats = this.#stat?.path === absolutePath ? ((await this.#stat.stats) ?? undefined) : undefined;
    this.#version = await versionForRequest(handlerClass, absolutePath, stats);
    this.setHeaders();
    if (this.shouldReturn304()) {
      this.setStatus(304);
      return;
    }

    const size = await this.getContentSize();
    const rangeHeader = this.request.headers.get("Range");
    // An invalid Range header is ignored (RFC 9110 14.2), so is one of several ranges.
    const requestRange = rangeHeader ? parseRequestRange(rangeHeader) : null;
    let start: number | undefined;
    let end: number | undefined;
    if (requestRange !== null) {
      [start, end] = requestRange;
      if (start !== undefined && start < 0) start = Math.max(start + size, 0);
      if ((start !== undefined && (start >= size || (end !== undefined && start >= end))) || end === 0) {
        this.setStatus(416);
        this.setHeader("Content-Type", "text/plain");
        this.setHeader("Content-Range", `bytes */${size}`);
        return;
      }
      // Clients may ask for more than there is to limit a download: the end is capped.
      if (end !== undefined && end > size) end = size;
      // 206 only when less than the whole file was asked for: browsers refuse a 206 to `bytes=0-`.
      if (size !== (end || size) - (start || 0)) {
        this.setStatus(206);
        this.setHeader("Content-Range", formatContentRange(start, end, size));
      }
    }
    this.setHeader("Content-Length", (end ?? size) - (start ?? 0));

    try {
      if (!includeBody) {
        // Sent like a GET's, so HEAD shows the same Content-Encoding and Content-Length.
        await this.flush();
        return;
      }
      const content = handlerClass.getContent(absolutePath, start, end);
      if (Buffer.isBuffer(content)) {
        this.write(content);
        await this.flush();
        return;
      }
      const res = this.request.connection?.res;
      for await (const chunk of content) {
        this.write(chunk);
        await this.flush();
        if (res !== undefined) await drained(res);
      }
    } catch (error) {
      if (error instanceof StreamClosedError) return;
      throw this.headersWritten ? error : fileError(error, this.path);
    }
  }

  /** The ETag is the file's version, so a range has the ETag of the whole file. */
  override computeEtag(): string | null {
    return this.#version ? `"${this.#version}"` : null;
  }

  /**
   * Sets the content and caching headers: `Accept-Ranges`, `Etag`, `Last-Modified`,
   * `Content-Type`, `Expires` and `Cache-Control` (when `getCacheTime` is positive), then
   * `setExtraHeaders`. Tornado: `set_headers`.
   */
  setHeaders(): void {
    this.setHeader("Accept-Ranges", "bytes");
    this.setEtagHeader();
    if (this.modified !== null) this.setHeader("Last-Modified", this.modified);
    const contentType = this.getContentType();
    if (contentType) this.setHeader("Content-Type", contentType);
    const cacheTime = this.getCacheTime(this.path, this.modified, contentType);
    if (cacheTime > 0) {
      this.setHeader("Expires", new Date(Date.now() + cacheTime * 1000));
      this.setHeader("Cache-Control", `max-age=${cacheTime}`);
    }
    this.setExtraHeaders(this.path);
  }

  /**
   * True when the client's copy is current: its `If-None-Match` matches the ETag or, without
   * one, its `If-Modified-Since` is not older than `modified` (an unreadable date is
   * ignored). Tornado: `should_return_304`.
   */
  shouldReturn304(): boolean {
    const headers = this.request.headers;
    if (headers.get("If-None-Match")) return this.checkEtagHeader();
    const ifModifiedSince = headers.get("If-Modified-Since");
    if (ifModifiedSince !== undefined && this.modified !== null) {
      const since = parseHttpDate(ifModifiedSince);
      if (since !== null && since >= this.modified.getTime()) return true;
    }
    return false;
  }

  /**
   * Override this to map paths to something else than files under `root` (then override
   * `getContent` and `validateAbsolutePath` to match). The default resolves `path` against
   * `root`, as Python's `os.path.abspath(os.path.join(root, path))`: `..` is collapsed and an
   * absolute `path` stays absolute (and is refused by `validateAbsolutePath`).
   * Tornado: `get_absolute_path`.
   */
  static getAbsolutePath(root: string, path: string): string {
    return resolve(root, path);
  }

  /**
   * Override this to check the path differently; may be async, may throw `HTTPError`, or
   * redirect and return `null` to end the request. The default refuses (403) a path outside
   * `root` — **beyond** Tornado, also one that gets out through a symlink — answers 404 for a
   * missing file (or a file asked for with a trailing slash), 403 for a directory unless
   * `defaultFilename` is set, in which case `dir` redirects to `dir/` (301) and `dir/` serves
   * `dir/<defaultFilename>`. It never redirects to a `//host` or `/\host` URL (403 instead).
   * Tornado: `validate_absolute_path`.
   */
  validateAbsolutePath(root: string, absolutePath: string): string | null | Promise<string | null> {
    return this.#validate(root, absolutePath);
  }

  async #validate(root: string, absolutePath: string): Promise<string | null> {
    const rootPath = resolve(root);
    const rootPrefix = rootPath.endsWith(sep) ? rootPath : rootPath + sep;
    // The separator appended to the path lets a request for the root itself match.
    if (!(absolutePath + sep).startsWith(rootPrefix)) throw new HTTPError(403, `${this.path} is not in root static directory`);
    if (absolutePath.includes("\0")) throw new HTTPError(404);
    let target = absolutePath;
    let found = await inspectPath(rootPrefix, target);
    if (found.stats !== null && !found.inside) throw new HTTPError(403, `${this.path} is not in root static directory`);
    if (found.stats !== null && found.stats.isDirectory() && this.defaultFilename !== undefined) {
      const requestPath = this.request.path;
      if (!requestPath.endsWith("/")) {
        // Browsers read `//x` and `/\x` as another host: redirecting there would be an open redirect.
        if (requestPath.startsWith("//") || requestPath.startsWith("/\\")) {
          throw new HTTPError(403, "cannot redirect path with two initial slashes");
        }
        this.redirect(`${requestPath}/`, true);
        return null;
      }
      target = join(target, this.defaultFilename);
      found = await inspectPath(rootPrefix, target);
      if (found.stats !== null && !found.inside) throw new HTTPError(403, `${this.path} is not in root static directory`);
    } else if (found.stats !== null && found.stats.isFile() && /[\\/]$/.test(this.path)) {
      // `file.txt/` names a directory that does not exist (ENOTDIR), whatever `resolve` makes of it.
      throw new HTTPError(404);
    }
    const stats = found.stats;
    if (stats === null) throw new HTTPError(404);
    if (!stats.isFile()) throw new HTTPError(403, `${this.path} is not a file`);
    this.#stat = { path: target, stats: Promise.resolve(stats) };
    return target;
  }

  /** The `stat` of `path` (null when it cannot be stat-ed), once per request and path. */
  #statOf(path: string): Promise<Stats | null> {
    if (this.#stat?.path !== path) {
      this.#stat = {
        path,
        stats: stat(path).then(
          (stats) => stats,
          () => null,
        ),
      };
    }
    return this.#stat.stats;
  }

  /**
   * Override this to serve something else than the file at `absolutePath` (a database row, an
   * archive member...). Returns the bytes `[start, end)` (all of them without `start`/`end`):
   * a Buffer, or an async iterable of Buffers for large content. The default streams the
   * file in 64 KiB pieces. Tornado: `get_content`.
   */
  static getContent(absolutePath: string, start?: number, end?: number): StaticContent {
    return createReadStream(absolutePath, {
      highWaterMark: CHUNK_SIZE,
      ...(start === undefined ? {} : { start }),
      ...(end === undefined ? {} : { end: end - 1 }),
    }) as AsyncIterable<Buffer>;
  }

  /**
   * Override this to version content differently (a build manifest, a database column...);
   * may return a promise. The default is the SHA-512 hex digest of `getContent(absolutePath)`.
   * Versions are cached per path (see `reset`) and used for ETags and `staticUrl`. A
   * `staticUrl` for a file whose version is not cached yet needs it at once: with the default
   * hooks the file is then read synchronously (once; see `getVersion`); an override that
   * returns a promise must be paired with an override of `getVersion`.
   * Tornado: `get_content_version`.
   */
  static getContentVersion(absolutePath: string): string | Promise<string> {
    return hashContent(this.getContent(absolutePath));
  }

  /**
   * Override this (with `getContent`) to size content that is not a file; may be async.
   * The default is the file's size from its `stat`. Tornado: `get_content_size`.
   */
  getContentSize(): number | Promise<number> {
    return this.#requiredStats().then((stats) => stats.size);
  }

  /**
   * Override this (with `getContent`) to date content that is not a file, or return `null`
   * for no `Last-Modified`; may be async. The default is the file's modification time,
   * truncated to whole seconds as HTTP dates are. Tornado: `get_modified_time`.
   */
  getModifiedTime(): Date | null | Promise<Date | null> {
    return this.#requiredStats().then((stats) => new Date(Math.floor(stats.mtimeMs / 1000) * 1000));
  }

  async #requiredStats(): Promise<Stats> {
    const stats = await this.#statOf(this.absolutePath ?? "");
    if (stats === null) throw new HTTPError(404);
    return stats;
  }

  /**
   * Override this to choose the `Content-Type` differently. The default guesses it from the
   * file name with the `mime-types` package, with `charset=utf-8` for text types;
   * compressed files are `application/gzip` (`.gz`) or `application/octet-stream` (`.bz2`,
   * `.xz`...) whatever they hold, as Tornado; unknown names are `application/octet-stream`.
   * Tornado: `get_content_type`.
   */
  getContentType(): string {
    const name = this.absolutePath ?? "";
    const extension = extname(name);
    const compressed = COMPRESSED_TYPES[extension] ?? COMPRESSED_TYPES[extension.toLowerCase()];
    if (compressed !== undefined) return compressed;
    const type = mimeLookup(name);
    if (type === false) return "application/octet-stream";
    return mimeContentType(type) || type;
  }

  /** Override this to add headers to every file response (`path` as in `this.path`). Tornado: `set_extra_headers`. */
  setExtraHeaders(_path: string): void {}

  /**
   * Override this to choose how long clients may cache a file: a number of seconds, or 0 for
   * no `Cache-Control`/`Expires` (browsers then revalidate as they see fit). The default is
   * `CACHE_MAX_AGE` (one year) for versioned URLs (a `v` argument), else 0.
   * Tornado: `get_cache_time`.
   */
  getCacheTime(_path: string, _modified: Date | null, _mimeType: string): number {
    return Object.hasOwn(this.request.arguments, "v") ? (this.constructor as StaticFileHandlerClass).CACHE_MAX_AGE : 0;
  }

  /**
   * Override this to build static URLs differently (a CDN host, the version in the file
   * name...); `staticUrl` calls it on the `staticHandlerClass`. The default is
   * `staticUrlPrefix + path`, plus `?v=<version>` unless `includeVersion` is false or
   * `getVersion` has none. The URL is relative to the current host. Tornado: `make_static_url`.
   */
  static makeStaticUrl(settings: ApplicationSettings, path: string, includeVersion = true): string {
    const url = (settings.staticUrlPrefix ?? "/static/") + path;
    if (!includeVersion) return url;
    const version = this.getVersion(settings, path);
    return version ? `${url}?v=${version}` : url;
  }

  /**
   * Override this (as the inverse of `makeStaticUrl`) to turn the path of a URL, with the
   * prefix removed, into the path of a file under `root`. The default keeps it (with `/`
   * turned into the platform's separator). Tornado: `parse_url_path`.
   */
  parseUrlPath(urlPath: string): string {
    return sep === "/" ? urlPath : urlPath.replaceAll("/", sep);
  }

  /**
   * Override this to version static URLs differently; returns the version of `path` (relative
   * to `staticPath`) or `null` when it has none. The default takes it from the hash cache.
   * A file not in the cache is versioned at once, synchronously because `staticUrl` is: with
   * the default hooks the first call for a file reads it (in 64 KiB pieces), as Tornado does,
   * and later calls — and requests for the file, which validate the cached hash against the
   * file's `stat` — reuse the result. With the `staticHashCache` setting off (the `debug`
   * default) every call computes it afresh. A missing file logs an error and has no version.
   * Tornado: `get_version`.
   * @throws InvalidStateError when the `staticPath` setting is not set.
   */
  static getVersion(settings: ApplicationSettings, path: string): string | null {
    if (!settings.staticPath) {
      throw new InvalidStateError("You must define the 'staticPath' setting in your application to version static URLs", "TYPHOON_ERR_MISSING_SETTING");
    }
    const absolutePath = this.getAbsolutePath(settings.staticPath, path);
    if (settings.staticHashCache !== false) {
      const cached = staticHashes.get(absolutePath);
      if (cached !== undefined) return cached.version;
    }
    const entry = versionSync(this, absolutePath);
    staticHashes.set(absolutePath, entry);
    return entry.version;
  }
}

/** What `validateAbsolutePath` learns of a path: its `stat` (null if it has none) and whether it is really inside the root. */
interface PathInspection {
  readonly stats: Stats | null;
  readonly inside: boolean;
}

const NOT_FOUND: PathInspection = { stats: null, inside: true };

/**
 * The `stat` of `path`, which lies textually under `rootPrefix` (the root with a trailing
 * separator), and whether it is inside the root once symlinks are followed. Each component
 * below the root is `lstat`-ed (one call for a file at the top, all at once for deeper ones):
 * without a symlink among them the path cannot leave the root, and the last `lstat` is the
 * file's `stat`. Only when one is a symlink are real paths compared — a real path has no
 * symlinks in it, so one that starts with the root as written proves the root real too, and
 * the root is resolved only otherwise (e.g. under a `current -> releases/42` deployment link).
 */
async function inspectPath(rootPrefix: string, path: string): Promise<PathInspection> {
  if (path.length < rootPrefix.length) return { stats: await stat(path).catch(() => null), inside: true };
  const parts = path.slice(rootPrefix.length).split(sep);
  const components = parts.map((_, i) => rootPrefix + parts.slice(0, i + 1).join(sep));
  let lstats: Stats[];
  try {
    lstats = await Promise.all(components.map((component) => lstat(component)));
  } catch {
    return NOT_FOUND;
  }
  if (!lstats.some((stats) => stats.isSymbolicLink())) return { stats: lstats[lstats.length - 1]!, inside: true };
  try {
    const [stats, realPath] = await Promise.all([stat(path), realpath(path)]);
    const root = rootPrefix.slice(0, -1) || sep;
    return { stats, inside: isInside(realPath, rootPrefix) || isInside(realPath, await realpath(root)) };
  } catch {
    return NOT_FOUND;
  }
}

function isInside(path: string, directory: string): boolean {
  return path.startsWith(directory.endsWith(sep) ? directory : directory + sep);
}
