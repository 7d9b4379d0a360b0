// Ports tornado.web.stream_request_body: a class decorator for handlers that read their body as it arrives.

import { InvalidArgumentError } from "../util/errors.js";
import { RequestHandler } from "./request-handler.js";

/**
 * Makes a handler class stream its request body instead of having it read into
 * `request.body` first: `prepare()` runs as soon as the headers arrive (it may raise the size
 * limit with `this.request.connection!.setMaxBodySize(bytes)`), then `dataReceived(chunk)`
 * receives the body as it arrives (the socket pauses while its promise is pending), then the
 * verb method runs. Without a `dataReceived` override the verb method runs right after
 * `prepare()` and reads the body itself, e.g. with `multipartParts()`.
 * Same as `static streamRequestBody = true`. Tornado: `@stream_request_body`.
 *
 * @example
 * @streamRequestBody
 * class UploadHandler extends RequestHandler {
 *   bytes = 0;
 *   override dataReceived(chunk: Buffer) { this.bytes += chunk.length; }
 *   put() { this.write({ received: this.bytes }); }
 * }
 * // or, without decorator syntax: streamRequestBody(UploadHandler);
 */
export function streamRequestBody<C extends new (...args: never[]) => RequestHandler>(handlerClass: C, _context?: ClassDecoratorContext<C>): C {
  if (typeof handlerClass !== "function" || !(handlerClass.prototype instanceof RequestHandler)) {
    throw new InvalidArgumentError("streamRequestBody decorates RequestHandler subclasses", "TYPHOON_ERR_NOT_A_HANDLER");
  }
  Object.defineProperty(handlerClass, "streamRequestBody", { value: true, writable: true, configurable: true, enumerable: true });
  return handlerClass;
}
