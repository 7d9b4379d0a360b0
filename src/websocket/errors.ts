// Ports tornado.websocket.WebSocketError and WebSocketClosedError.

import { TyphoonError } from "../util/errors.js";

/**
 * A WebSocket failure: the server answered a connect with an ordinary response instead of
 * switching protocols, or the handshake was invalid. Code `TYPHOON_ERR_WEBSOCKET`, or
 * `TYPHOON_ERR_WEBSOCKET_NOT_UPGRADED` for a 2xx answer that is not a WebSocket.
 * Tornado: `tornado.websocket.WebSocketError`.
 */
export class WebSocketError extends TyphoonError {
  constructor(message: string, code = "TYPHOON_ERR_WEBSOCKET", options?: ErrorOptions) {
    super(code, message, options);
  }
}

/**
 * An operation on a WebSocket that is closed or closing: `writeMessage` rejects with it,
 * `ping` throws it. Code `TYPHOON_ERR_WEBSOCKET_CLOSED`. `onClose` (or `readMessage()`
 * resolving `null` on the client) says when a connection ends, so writes can stop.
 * Tornado: `tornado.websocket.WebSocketClosedError`.
 */
export class WebSocketClosedError extends WebSocketError {
  constructor(message = "the WebSocket is closed: stop writing once onClose() has been called") {
    super(message, "TYPHOON_ERR_WEBSOCKET_CLOSED");
  }
}
