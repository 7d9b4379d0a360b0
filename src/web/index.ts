// typhoon/web: Application, RequestHandler, routing and the built-in handlers.
export { Application, type ApplicationRule } from "./application.js";
export { RequestHandler, type HandlerClass, type ErrorOptions } from "./request-handler.js";
export { HTTPError, MissingArgumentError, Finish, type HTTPErrorOptions } from "./errors.js";
export {
  ErrorHandler,
  RedirectHandler,
  FallbackHandler,
  type ErrorHandlerArgs,
  type RedirectHandlerArgs,
  type FallbackHandlerArgs,
} from "./handlers.js";
export {
  StaticFileHandler,
  type StaticFileHandlerArgs,
  type StaticFileHandlerClass,
  type StaticContent,
} from "./static-file-handler.js";
export {
  Matcher,
  AnyMatches,
  HostMatches,
  PathMatches,
  Rule,
  URLSpec,
  url,
  RuleRouter,
  ReversibleRuleRouter,
  type Router,
  type ReversibleRouter,
  type RouteMatch,
  type MatchResult,
  type RuleSpec,
  type RuleTarget,
  type InitArgsOf,
} from "./routing.js";
export type { ApplicationSettings } from "./settings.js";
export type { InjectOptions, InjectResponse } from "./inject.js";
export {
  UIModule,
  TemplateModule,
  type UIModuleClass,
  type UIModuleMap,
  type UIMethod,
  type UIMethodMap,
  type UINamespace,
  type UIModuleNamespace,
  type TemplateResources,
} from "./ui-modules.js";
export { streamRequestBody } from "./stream-request-body.js";
export {
  negotiateContentCoding,
  isCompressibleType,
  COMPRESSIBLE_CONTENT_TYPES,
  MIN_COMPRESS_LENGTH,
  type ContentCoding,
} from "./compression.js";
export { authenticated, addslash, removeslash, type HandlerMethod } from "./decorators.js";
export {
  createSignedValue,
  decodeSignedValue,
  getSignatureKeyVersion,
  type CookieSecret,
  type CreateSignedValueOptions,
  type DecodeSignedValueOptions,
  type SignedCookieOptions,
  type GetSignedCookieOptions,
} from "./signed-value.js";
export {
  EventStream,
  formatServerSentEvent,
  formatServerSentComment,
  type ServerSentEvent,
  type EventStreamOptions,
} from "./event-stream.js";
