// typhoon/httpserver: the HTTP server, its request object and header map.
export { HTTPHeaders, canonicalHeaderName, type HeadersInit } from "./headers.js";
export {
  HTTPServer,
  type HTTPServerOptions,
  type RequestDelegate,
  type RequestCallback,
  type StopOptions,
} from "./server.js";
export {
  HTTPServerRequest,
  splitHostAndPort,
  type HTTPServerRequestInit,
  type HTTPFile,
  type FileMap,
} from "./request.js";
export { HTTPConnection } from "./connection.js";
export { HTTPInputError, StreamClosedError } from "./errors.js";
export { parseUrlencoded, type ArgumentMap } from "./urlencoded.js";
export { parseCookie, formatSetCookie, type CookieMap, type CookieOptions, type SameSite } from "./cookies.js";
export { parseRequestRange, formatContentRange, type RequestRange } from "./ranges.js";
export {
  parseContentType,
  parseBodyArguments,
  parseMultipartFormData,
  parseJsonBody,
  DEFAULT_BODY_LIMITS,
  type ContentType,
  type BodyLimits,
  type JsonBodyOptions,
} from "./body.js";
export { readMultipartParts, type MultipartPart } from "./multipart.js";
