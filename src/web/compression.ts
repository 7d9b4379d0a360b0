// Ports tornado.web.GZipContentEncoding: response compression (gzip, and brotli beyond Tornado).

import type { OutgoingHttpHeaders } from "node:http";
import {
  brotliCompress,
  brotliCompressSync,
  constants,
  createBrotliCompress,
  createGzip,
  gzip,
  gzipSync,
  type BrotliCompress,
  type BrotliOptions,
  type Gzip,
  type ZlibOptions,
} from "node:zlib";

/** A content coding Typhoon compresses responses with. */
export type ContentCoding = "br" | "gzip";

/** Responses shorter than this (in bytes, when finished in one go) are not compressed. Tornado: `MIN_LENGTH`. */
export const MIN_COMPRESS_LENGTH = 1024;

/**
 * Media types compressed besides `text/*`. Tornado: `GZipContentEncoding.CONTENT_TYPES`
 * (with `application/ld+json`, `application/manifest+json` and `application/wasm` added).
 */
export const COMPRESSIBLE_CONTENT_TYPES: ReadonlySet<string> = new Set([
  "application/javascript",
  "application/x-javascript",
  "application/xml",
  "application/atom+xml",
  "application/json",
  "application/ld+json",
  "application/manifest+json",
  "application/xhtml+xml",
  "application/wasm",
  "image/svg+xml",
]);

const GZIP_OPTIONS: ZlibOptions = { level: 6 };
/** Quality 4 compresses better than gzip level 6 at a similar speed (11, the default, is far too slow for responses). */
const BROTLI_OPTIONS: BrotliOptions = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };
/** Bodies up to this size are compressed on the event loop; larger ones on the thread pool. */
const SYNC_COMPRESS_LIMIT = 64 * 1024;

/** True for `text/*` and the {@link COMPRESSIBLE_CONTENT_TYPES}. Tornado: `_compressible_type`. */
export function isCompressibleType(contentType: string | number | readonly string[] | undefined): boolean {
  if (typeof contentType !== "string") return false;
  const semicolon = contentType.indexOf(";");
  const mediaType = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType.startsWith("text/") || COMPRESSIBLE_CONTENT_TYPES.has(mediaType);
}

/**
 * The coding to answer a request's `Accept-Encoding` with: `br` or `gzip`, whichever has the
 * higher `q` (brotli on a tie, being smaller), or `null` when the client accepts neither.
 * `*` stands for codings the header does not name; `q=0` refuses a coding.
 *
 * @example
 * negotiateContentCoding("gzip, deflate, br"); // "br"
 * negotiateContentCoding("br;q=0.5, gzip");    // "gzip"
 */
export function negotiateContentCoding(acceptEncoding: string | undefined): ContentCoding | null {
  if (!acceptEncoding) return null;
  let gzipQ: number | undefined;
  let brQ: number | undefined;
  let anyQ: number | undefined;
  for (const item of acceptEncoding.split(",")) {
    const semicolon = item.indexOf(";");
    const coding = (semicolon < 0 ? item : item.slice(0, semicolon)).trim().toLowerCase();
    let q = 1;
    if (semicolon >= 0) {
      const match = /(?:^|;)\s*q\s*=\s*([0-9.]+)\s*(?:;|$)/i.exec(item.slice(semicolon));
      if (match) q = Number(match[1]);
      if (!Number.isFinite(q)) q = 0;
    }
    if (coding === "gzip" || coding === "x-gzip") gzipQ = Math.max(gzipQ ?? 0, q);
    else if (coding === "br") brQ = Math.max(brQ ?? 0, q);
    else if (coding === "*") anyQ = q;
  }
  const br = brQ ?? anyQ ?? 0;
  const gz = gzipQ ?? anyQ ?? 0;
  if (br <= 0 && gz <= 0) return null;
  return br >= gz ? "br" : "gzip";
}

/** Adds `Accept-Encoding` to the `Vary` header (keeping what it lists). */
export function addVaryAcceptEncoding(headers: OutgoingHttpHeaders): void {
  const vary = headers["Vary"];
  if (vary === undefined) {
    headers["Vary"] = "Accept-Encoding";
    return;
  }
  const listed = Array.isArray(vary) ? vary.join(", ") : String(vary);
  if (/(?:^|,)\s*(?:accept-encoding|\*)\s*(?:,|$)/i.test(listed)) return;
  headers["Vary"] = `${listed}, Accept-Encoding`;
}

/** Compresses a whole body on the event loop (for small bodies). */
export function compressSync(coding: ContentCoding, body: string | Buffer): Buffer {
  return coding === "br" ? brotliCompressSync(body, BROTLI_OPTIONS) : gzipSync(body, GZIP_OPTIONS);
}

/** Compresses a whole body on libuv's thread pool. */
export function compressAsync(coding: ContentCoding, body: string | Buffer, callback: (error: Error | null, result: Buffer) => void): void {
  if (coding === "br") brotliCompress(body, BROTLI_OPTIONS, callback);
  else gzip(body, GZIP_OPTIONS, callback);
}

/** True when a body of `length` bytes should be compressed off the event loop. */
export function compressesAsync(length: number): boolean {
  return length > SYNC_COMPRESS_LIMIT;
}

/**
 * Compresses a response sent in pieces (`flush()`): each piece is compressed and flushed at
 * once, so streamed data (long polls, progress output) reaches the client without waiting
 * for more. `send` receives the compressed bytes, `done` runs once the stream is complete.
 */
export class StreamingCompressor {
  readonly #stream: Gzip | BrotliCompress;
  readonly #flushKind: number;
  #ended = false;

  constructor(coding: ContentCoding, send: (chunk: Buffer) => void, done: () => void, failed: (error: Error) => void) {
    this.#stream = coding === "br" ? createBrotliCompress(BROTLI_OPTIONS) : createGzip(GZIP_OPTIONS);
    this.#flushKind = coding === "br" ? constants.BROTLI_OPERATION_FLUSH : constants.Z_SYNC_FLUSH;
    this.#stream.on("data", send);
    this.#stream.once("end", done);
    this.#stream.once("error", failed);
  }

  /** Compresses `chunk` and flushes it; resolves once its compressed bytes went to `send`. */
  write(chunk: string | Buffer): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#stream.write(chunk);
      this.#stream.flush(this.#flushKind, () => resolve());
    });
  }

  /** Compresses the last piece and ends the stream; `done` runs after the final bytes went out. */
  end(chunk?: string | Buffer): void {
    if (this.#ended) return;
    this.#ended = true;
    if (chunk === undefined || chunk.length === 0) this.#stream.end();
    else this.#stream.end(chunk);
  }

  /** Frees the compressor at once (the client went away). */
  destroy(): void {
    this.#ended = true;
    this.#stream.destroy();
  }
}
