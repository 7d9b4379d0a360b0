// The WebSocket echo scenario on Typhoon's WebSocketHandler (API.md, "WebSockets").
import { Application, WebSocketHandler } from "typhoon";
import { announceReady, announceSkip, scenarioArgument } from "./shared/fixture.js";

const scenario = scenarioArgument();
if (scenario !== "websocket") announceSkip(`the Typhoon WebSocket server has no "${scenario}" scenario`);

class EchoHandler extends WebSocketHandler {
  override onMessage(message: string | Buffer): Promise<void> {
    return this.writeMessage(message, typeof message !== "string");
  }
}

const server = await new Application([["/ws", EchoHandler]]).listen(0, "127.0.0.1");
announceReady(server.port);
