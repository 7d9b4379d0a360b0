// The program of the article Typhoon grew from (a Tornado introduction), in Typhoon, with every
// setting it lists: a handler writing "ololo", one getting a database through initialize(), one
// taking the user name from the URL path, and GenAsyncHandler, which fetches a page with the
// non-blocking HTTP client and renders a template (with a versioned stylesheet from staticPath
// and a form protected by xsrfCookies). Run it with `npm start`, then open http://localhost:8888/gen/.
import { fileURLToPath, pathToFileURL } from "node:url";
import { Application, AsyncHTTPClient, enablePrettyLogging, IOLoop, RequestHandler, url, type HTTPServer } from "typhoon";

/** A stand-in for a real database: users by name. */
export class Database {
  readonly #users = new Map<string, { name: string; visits: number }>();

  visit(name: string): { name: string; visits: number } {
    const user = this.#users.get(name) ?? { name, visits: 0 };
    user.visits++;
    this.#users.set(name, user);
    return user;
  }

  count(): number {
    return this.#users.size;
  }
}

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
    this.write({ users: this.database.count() });
  }
}

class HiamHandler extends RequestHandler {
  declare database: Database;

  override initialize({ database }: { database: Database }) {
    this.database = database;
  }

  // The path group (.*) arrives as the first argument; the page's form sends the name as a field.
  // xsrfCookies is on, so the POST must carry the _xsrf token (form field, X-Xsrftoken header or
  // JSON body): Typhoon checks all three without an override.
  async post(username: string) {
    const user = this.database.visit(username || this.getArgument("username"));
    if (this.request.headers.get("Accept")?.includes("text/html")) {
      await this.render("hello.html", { title: "Hello", user });
    } else {
      this.write({ hello: user.name, visits: user.visits });
    }
  }
}

/** The article's GenAsyncHandler: waits for another server without blocking this one. */
class GenAsyncHandler extends RequestHandler {
  async get() {
    const fetchedUrl = `${this.request.protocol}://${this.request.host}${this.reverseUrl("test")}`;
    const response = await new AsyncHTTPClient().fetch(fetchedUrl);
    await this.render("index.html", {
      title: "GenAsyncHandler",
      fetchedUrl,
      response,
      milliseconds: Math.round((response.requestTime ?? 0) * 1000),
    });
  }
}

/** The demo application; `debug` adds autoreload, tracebacks and uncached templates and static versions. */
export function createSeedApp(options: { debug?: boolean; database?: Database } = {}): Application {
  const database = options.database ?? new Database();
  const debug = options.debug ?? true;
  return new Application(
    [
      url("/", MainHandler),
      url("/test/", TestHandler, { database }, "test"),
      url("/hwoiam/(.*)", HiamHandler, { database }, "hello"),
      url("/gen/", GenAsyncHandler, {}, "gen"),
    ],
    {
      autoreload: debug,
      debug,
      compressResponse: false,
      serveTraceback: debug,
      cookieSecret: "DebuG)",
      xsrfCookies: true,
      compiledTemplateCache: !debug,
      templatePath: fileURLToPath(new URL("seed/templates", import.meta.url)),
      staticHashCache: !debug,
      staticPath: fileURLToPath(new URL("seed/static", import.meta.url)),
      staticUrlPrefix: "/static/",
    },
  );
}

/** Serves the demo on `port` and stops gracefully (in-flight requests finish) on SIGINT/SIGTERM. */
export async function main(port = Number(process.env.PORT ?? 8888)): Promise<HTTPServer> {
  enablePrettyLogging();
  const server = await createSeedApp().listen(port);
  console.log(`Typhoon demo on http://localhost:${port}/ and http://localhost:${port}/gen/ (Ctrl-C to stop)`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void server.stop({ timeout: 5 }).then(() => IOLoop.current().stop());
    });
  }
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
  await IOLoop.current().start();
}
