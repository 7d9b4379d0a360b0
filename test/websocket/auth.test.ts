// Authentication before the switch to WebSocket: a signed-cookie user from getCurrentUser, and
// the authenticated decorator on get(), as Tornado's WebSocketHandler is protected.
import { strict as assert } from "node:assert";
import { after, before, describe, test } from "node:test";
import { Application, authenticated, createSignedValue, HTTPClientError, HTTPRequest, websocketConnect, WebSocketHandler } from "typhoon";
import { type Served, serve } from "../helpers.js";

const SECRET = "websocket-auth-test-secret";

class SecureSocket extends WebSocketHandler<string> {
  override getCurrentUser(): string | null {
    return this.getSignedCookie("user")?.toString("utf8") ?? null;
  }

  @authenticated
  override get(...args: unknown[]): void {
    super.get(...args);
  }

  override open(): void {
    void this.writeMessage(`hello ${this.currentUser}`);
  }

  override onMessage(): void {}
}

describe("authenticated WebSockets", () => {
  let served: Served;
  before(async () => {
    served = await serve(new Application([["/secure", SecureSocket]], { cookieSecret: SECRET, loginUrl: "/login" }));
  });
  after(() => served.close());

  test("without a valid signed cookie the upgrade is redirected to the login page (302), as Tornado", async () => {
    await assert.rejects(websocketConnect(`ws://127.0.0.1:${served.port}/secure`), (error: unknown) => {
      assert.ok(error instanceof HTTPClientError, `expected an HTTPClientError, got ${String(error)}`);
      assert.equal(error.status, 302);
      assert.equal(error.response?.headers.get("Location"), "/login?next=%2Fsecure");
      return true;
    });
    const forged = new HTTPRequest(`ws://127.0.0.1:${served.port}/secure`, { headers: { Cookie: "user=alice" } });
    await assert.rejects(websocketConnect(forged), (error: unknown) => error instanceof HTTPClientError && error.status === 302);
  });

  test("with a signed cookie the user is known in open()", async () => {
    const cookie = createSignedValue(SECRET, "user", "alice").toString();
    const conn = await websocketConnect(new HTTPRequest(`ws://127.0.0.1:${served.port}/secure`, { headers: { Cookie: `user="${cookie}"` } }));
    assert.equal(await conn.readMessage(), "hello alice");
    conn.close();
  });
});
