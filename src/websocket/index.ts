// typhoon/websocket: WebSocketHandler, the WebSocket client and their errors.
export { WebSocketHandler } from "./handler.js";
export { websocketConnect, WebSocketClientConnection, type WebSocketConnectOptions } from "./client.js";
export { WebSocketError, WebSocketClosedError } from "./errors.js";
export type { WebSocketCompressionOptions } from "./protocol.js";
