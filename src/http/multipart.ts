// Streaming multipart/form-data parts on busboy (beyond Tornado, which buffers multipart bodies whole).

import busboy from "busboy";
import { Readable } from "node:stream";
import { InvalidStateError } from "../util/errors.js";
import type { BodyLimits } from "./body.js";
import { HTTPInputError } from "./errors.js";
import type { HTTPServerRequest } from "./request.js";

/**
 * One part of a `multipart/form-data` body, as `multipartParts()` yields it: a form field
 * (`filename` undefined, `value` set) or an uploaded file (`filename` set, read `stream`).
 */
export interface MultipartPart {
  /** The field name (`name=` of `Content-Disposition`). */
  readonly name: string;
  /**
   * The file name as sent (`filename=`, or `filename*=` decoded; `""` for a file part sent
   * without one, such as an empty file input); `undefined` for a field.
   */
  readonly filename: string | undefined;
  /** The part's media type without parameters; `text/plain` when the part has none. */
  readonly contentType: string;
  /** A field's value (decoded as UTF-8, or the part's charset); `undefined` for a file. */
  readonly value: string | undefined;
  /**
   * The part's content. Read it (or pipe it, e.g. to a file) before asking for the next part:
   * the request body is read only as fast as you consume it. A stream left unread is
   * discarded when the next part is requested.
   */
  readonly stream: Readable;
  /** Reads the whole content into a Buffer. */
  buffer(): Promise<Buffer>;
  /** Reads the whole content as UTF-8 text. */
  text(): Promise<string>;
}

class Part implements MultipartPart {
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string;
  readonly value: string | undefined;
  readonly stream: Readable;

  constructor(name: string, filename: string | undefined, contentType: string, value: string | undefined, stream: Readable) {
    this.name = name;
    this.filename = filename;
    this.contentType = contentType;
    this.value = value;
    this.stream = stream;
  }

  async buffer(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async text(): Promise<string> {
    return (await this.buffer()).toString("utf8");
  }
}

function limitError(message: string, setting: string): HTTPInputError {
  return new HTTPInputError(`${message} (raise bodyLimits.${setting} if this is expected)`, 413, "TYPHOON_ERR_MULTIPART_LIMIT");
}

/** Ends the iteration early when the consumer stops: the rest of the body is not read. */
class StopReading extends Error {}

/**
 * Parses the request's `multipart/form-data` body part by part as it arrives: from the socket
 * in a `streamRequestBody` handler (with back-pressure: the socket is read only as fast as
 * the parts are consumed), or from `request.body` when it was read already. The request's
 * `bodyLimits` apply (parts, fields, files, field and file sizes) and give 413; a malformed
 * or truncated body gives 400. Part headers are limited to 16 KiB (busboy's fixed limit),
 * and parts without `Content-Disposition: form-data` are skipped.
 * @throws HTTPInputError 415 when the body is not `multipart/form-data` with a boundary.
 */
export async function* readMultipartParts(request: HTTPServerRequest): AsyncGenerator<MultipartPart, void, undefined> {
  const contentType = request.contentType;
  const boundary = contentType?.mediaType === "multipart/form-data" ? contentType.parameters["boundary"] : undefined;
  if (!boundary) {
    throw new HTTPInputError("Expected a multipart/form-data body with a boundary", 415, "TYPHOON_ERR_NOT_MULTIPART");
  }
  const limits: BodyLimits = request.bodyLimits;
  const connection = request.connection;
  const buffered = request.body.length > 0 || connection === undefined;
  if (!buffered && connection.bodyReadStarted) {
    throw new InvalidStateError("the request body was already read (by dataReceived?); multipartParts() needs it unread", "TYPHOON_ERR_BODY_CONSUMED");
  }
  const parser = busboy({
    headers: { "content-type": `multipart/form-data; boundary="${boundary.replace(/["\\]/g, "\\$&")}"` },
    preservePath: true,
    defParamCharset: "utf8",
    limits: {
      // Parts are counted below, on complete part headers; this only bounds busboy's own work.
      parts: limits.maxParts + 1,
      fields: limits.maxFields,
      files: limits.maxFiles,
      fieldSize: limits.maxFieldSize + 1,
      fileSize: limits.maxFileSize === Infinity ? Infinity : limits.maxFileSize + 1,
    },
  });

  const queue: Part[] = [];
  let failure: unknown;
  let ended = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const fail = (error: unknown): void => {
    if (failure !== undefined || ended) return;
    failure = error;
    parser.destroy();
    // The rest of the body stays unread: the connection cannot serve another request.
    connection?.closeAfterResponse();
    notify();
  };
  let parts = 0;
  const countPart = (): boolean => {
    if (++parts > limits.maxParts) {
      fail(limitError(`Too many parts in multipart/form-data body: more than ${limits.maxParts}`, "maxParts"));
      return false;
    }
    return true;
  };
  parser.on("field", (name: string | undefined, value: string, info: busboy.FieldInfo) => {
    if (!countPart()) return;
    if (!name) return fail(new HTTPInputError("Invalid multipart/form-data: a part has no name", 400, "TYPHOON_ERR_BAD_MULTIPART"));
    if (info.valueTruncated) {
      return fail(limitError(`Field ${JSON.stringify(name)} of the multipart/form-data body is larger than ${limits.maxFieldSize} bytes`, "maxFieldSize"));
    }
    queue.push(new Part(name, undefined, info.mimeType, value, Readable.from([Buffer.from(value)])));
    notify();
  });
  parser.on("file", (name: string | undefined, stream: Readable, info: busboy.FileInfo) => {
    // busboy destroys an unfinished part's stream with an error when parsing stops; whoever
    // reads the stream sees that error, and an unread stream must not crash the process.
    stream.on("error", () => undefined);
    if (!countPart()) {
      stream.resume();
      return;
    }
    if (!name) {
      stream.resume();
      return fail(new HTTPInputError("Invalid multipart/form-data: a part has no name", 400, "TYPHOON_ERR_BAD_MULTIPART"));
    }
    stream.once("limit", () => {
      const error = limitError(
        `File ${JSON.stringify(info.filename ?? name)} of the multipart/form-data body is larger than ${limits.maxFileSize} bytes`,
        "maxFileSize",
      );
      stream.destroy(error);
      fail(error);
    });
    queue.push(new Part(name, info.filename ?? "", info.mimeType, undefined, stream));
    notify();
  });
  parser.on("fieldsLimit", () => fail(limitError(`Too many fields in multipart/form-data body: more than ${limits.maxFields}`, "maxFields")));
  parser.on("filesLimit", () => fail(limitError(`Too many files in multipart/form-data body: more than ${limits.maxFiles}`, "maxFiles")));
  parser.on("error", (error: Error) =>
    fail(new HTTPInputError(`Invalid multipart/form-data: ${error.message}`, 400, "TYPHOON_ERR_BAD_MULTIPART")),
  );
  parser.on("close", () => {
    ended = true;
    notify();
  });

  if (buffered) {
    parser.end(request.body);
  } else {
    connection.readBodyStream((chunk) => {
      if (stopped) return Promise.reject(new StopReading());
      if (failure !== undefined) return Promise.reject(failure);
      if (parser.write(chunk)) return undefined;
      return new Promise<void>((resolve) => {
        const done = (): void => {
          parser.off("drain", done);
          parser.off("close", done);
          resolve();
        };
        parser.on("drain", done);
        parser.on("close", done);
      });
    }).then(
      () => {
        if (!stopped && failure === undefined) parser.end();
      },
      (error: unknown) => {
        if (!(error instanceof StopReading)) fail(error);
      },
    );
  }

  let previous: Readable | undefined;
  let completed = false;
  try {
    for (;;) {
      // An unread part would stall busboy (it waits for the part to be consumed): discard it.
      if (previous && !previous.readableEnded && !previous.destroyed) previous.resume();
      while (queue.length === 0 && failure === undefined && !ended) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (failure !== undefined) throw failure;
      const part = queue.shift();
      if (part === undefined) {
        completed = true;
        return;
      }
      previous = part.stream;
      yield part;
    }
  } finally {
    if (!completed) {
      stopped = true;
      if (failure === undefined && !ended) {
        parser.destroy();
        connection?.closeAfterResponse();
      }
    }
  }
}
