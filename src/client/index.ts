// typhoon/httpclient: the non-blocking HTTP client.
export { AsyncHTTPClient, type AsyncHTTPClientOptions } from "./httpclient.js";
export { HTTPRequest, REQUEST_DEFAULTS, type HTTPRequestOptions } from "./http-request.js";
export {
  HTTPResponse,
  HTTPClientError,
  HTTPTimeoutError,
  HTTPStreamClosedError,
  statusReason,
  type HTTPResponseInit,
  type HTTPClientErrorOptions,
} from "./http-response.js";
