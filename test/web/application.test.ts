// Tests of Application: settings, the access log, listen, inject, and the seed program.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  accessLog,
  Application,
  expectLog,
  FallbackHandler,
  LogLevel,
  RedirectHandler,
  RequestHandler,
  type ApplicationSettings,
  type LogRecord,
} from "typhoon";
import { serve } from "../helpers.js";

class Hello extends RequestHandler {
  get() {
    this.write("hello");
  }
}

describe("settings", () => {
  test("debug implies autoreload, serveTraceback, no template or static-hash cache (unless set)", () => {
    const settings = new Application([], { debug: true, autoreload: false, staticHashCache: true }).settings;
    assert.deepEqual(
      {
        autoreload: settings.autoreload,
        serveTraceback: settings.serveTraceback,
        compiledTemplateCache: settings.compiledTemplateCache,
        staticHashCache: settings.staticHashCache,
      },
      { autoreload: false, serveTraceback: true, compiledTemplateCache: false, staticHashCache: true },
    );
  });

  test("gzip is the old name of compressResponse", () => {
    assert.equal(new Application([], { gzip: true }).settings.compressResponse, true);
  });

  test("unknown keys stay available to handlers through this.settings", async () => {
    class SettingsHandler extends RequestHandler {
      get() {
        this.write(String((this.settings as Record<string, unknown>)["databaseUrl"]));
      }
    }
    const app = new Application([["/", SettingsHandler]], { databaseUrl: "postgres://x" } as ApplicationSettings);
    assert.equal((await app.inject({ url: "/" })).text, "postgres://x");
  });

  test("requireSetting names the missing setting and the feature", async () => {
    class NeedsLogin extends RequestHandler {
      get() {
        this.requireSetting("loginUrl", "@authenticated");
      }
    }
    const { appLog } = await import("typhoon");
    const response = await expectLog(appLog, "Uncaught exception", () => new Application([["/", NeedsLogin]]).inject({ url: "/" }));
    assert.equal(response.code, 500);
  });
});

describe("access log (Application.logRequest)", () => {
  test("Tornado's format, level by status: info < 400, warning < 500, error otherwise", async () => {
    class StatusHandler extends RequestHandler {
      get(code: string) {
        this.setStatus(Number(code));
      }
    }
    const app = new Application([["/status/(\\d+)", StatusHandler]]);
    const records: LogRecord[] = [];
    const stop = accessLog.intercept((record) => {
      records.push(record);
      return true;
    });
    try {
      for (const code of [200, 302, 404, 503]) await app.inject({ url: `/status/${code}?x=1`, remoteAddress: "10.0.0.7" });
    } finally {
      stop();
    }
    assert.deepEqual(
      records.map((record) => record.levelName),
      ["INFO", "INFO", "WARNING", "ERROR"],
    );
    assert.match(records[0]!.message, /^200 GET \/status\/200\?x=1 \(10\.0\.0\.7\) \d+\.\d\dms$/);
    assert.equal(records[0]!.level, LogLevel.INFO);
  });

  test("logFunction replaces the access log", async () => {
    const seen: string[] = [];
    const app = new Application([["/", Hello]], {
      logFunction: (handler) => seen.push(`${handler.getStatus()} ${handler.request.path}`),
    });
    await app.inject({ url: "/" });
    await app.inject({ url: "/missing" });
    assert.deepEqual(seen, ["200 /", "404 /missing"]);
  });
});

describe("listen and inject", () => {
  test("listen resolves with the HTTPServer; inject runs the same code path without a socket", async () => {
    const app = new Application([["/", Hello]]);
    const served = await serve(app);
    try {
      assert.equal(await (await fetch(served.url("/"))).text(), "hello");
      const injected = await app.inject({ url: "/" });
      assert.equal(injected.code, 200);
      assert.equal(injected.reason, "OK");
      assert.equal(injected.text, "hello");
      assert.equal(injected.headers.get("Content-Length"), "5");
    } finally {
      await served.close();
    }
  });

  test("inject sends a plain-object body as JSON", async () => {
    class EchoJson extends RequestHandler {
      post() {
        this.write({ type: this.request.headers.get("Content-Type"), body: JSON.parse(this.request.body.toString()) as unknown });
      }
    }
    const response = await new Application([["/", EchoJson]]).inject({ method: "POST", url: "/", body: { a: 1 } });
    assert.deepEqual(response.json(), { type: "application/json", body: { a: 1 } });
  });

  test("listen on a taken port rejects with the system error", async () => {
    const served = await serve(new Application([["/", Hello]]));
    try {
      await assert.rejects(new Application().listen(served.port, "127.0.0.1"), /EADDRINUSE/);
    } finally {
      await served.close();
    }
  });
});

describe("built-in handlers", () => {
  test("RedirectHandler: {0} substitution, named groups, query kept, permanent by default", async () => {
    const app = new Application([
      ["/photos/(.*)", RedirectHandler, { url: "/pictures/{0}" }],
      ["/named/(?P<id>\\d+)", RedirectHandler, { url: "/items/{id}", permanent: false }],
    ]);
    const photos = await app.inject({ url: "/photos/cat.jpg?size=large" });
    assert.equal(photos.code, 301);
    assert.equal(photos.headers.get("Location"), "/pictures/cat.jpg?size=large");
    const named = await app.inject({ url: "/named/42" });
    assert.equal(named.code, 302);
    assert.equal(named.headers.get("Location"), "/items/42");
  });

  test("FallbackHandler hands the request, body unread, to a Node (req, res) listener and logs it", async () => {
    const fallback = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        res.writeHead(201, { "Content-Type": "text/plain" });
        res.end(`node saw ${req.method} ${req.url} with ${body}`);
      });
    };
    const app = new Application([["/legacy/.*", FallbackHandler, { fallback }]]);
    let logged!: (message: string) => void;
    const logLine = new Promise<string>((resolve) => (logged = resolve));
    const stop = accessLog.intercept((record) => {
      logged(record.message);
      return true;
    });
    const served = await serve(app);
    try {
      const response = await fetch(served.url("/legacy/x?y=1"), { method: "POST", body: "payload" });
      assert.equal(response.status, 201);
      assert.equal(await response.text(), "node saw POST /legacy/x?y=1 with payload");
      assert.match(await logLine, /^201 POST \/legacy\/x\?y=1/);
    } finally {
      stop();
      await served.close();
    }
  });
});

describe("the seed program (API.md)", () => {
  test("MainHandler writes ololo, TestHandler gets its database, HiamHandler takes the path group", async () => {
    const db = { users: new Map([["ann", "Ann A."]]) };
    type Database = typeof db;
    class MainHandler extends RequestHandler {
      get() {
        this.write("ololo");
      }
    }
    class TestHandler extends RequestHandler {
      declare database: Database;
      override initialize({ database }: { database: Database }) {
        this.database = database;
      }
      async get() {
        this.write({ users: this.database.users.size });
      }
    }
    class HiamHandler extends RequestHandler {
      async post(username: string) {
        this.write(`hi, ${db.users.get(username) ?? username}`);
      }
    }
    const app = new Application([
      ["/", MainHandler],
      ["/test/", TestHandler, { database: db }],
      ["/hwoiam/(.*)", HiamHandler],
    ]);
    assert.equal((await app.inject({ url: "/" })).text, "ololo");
    assert.deepEqual((await app.inject({ url: "/test/" })).json(), { users: 1 });
    assert.equal((await app.inject({ method: "POST", url: "/hwoiam/ann", body: "" })).text, "hi, Ann A.");
  });
});
