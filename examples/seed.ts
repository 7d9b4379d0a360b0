// The program of the article Typhoon grew from (a Tornado introduction), in Typhoon:
// a handler writing "ololo", one getting a database through initialize(), and one taking
// the user name from the URL path. Run it with `npm start`, then open http://localhost:8888/.
import { Application, enablePrettyLogging, IOLoop, RequestHandler } from "typhoon";

/** A stand-in for a real database: users by name. */
class Database {
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

  // The path group (.*) arrives as the first argument.
  async post(username: string) {
    const user = this.database.visit(username);
    this.write({ hello: user.name, visits: user.visits });
  }

  get(username: string) {
    this.write(
      `<p>POST to this URL to say hello, for example:</p>` +
        `<pre>curl -X POST http://localhost:${port}/hwoiam/${encodeURIComponent(username)}</pre>`,
    );
  }
}

const port = Number(process.env.PORT ?? 8888);
const database = new Database();

enablePrettyLogging();
const app = new Application(
  [
    ["/", MainHandler],
    ["/test/", TestHandler, { database }],
    ["/hwoiam/(.*)", HiamHandler, { database }],
  ],
  {
    debug: true,
    compressResponse: false,
    cookieSecret: "DebuG)",
  },
);
const server = await app.listen(port);
console.log(`Typhoon demo on http://localhost:${port}/ (Ctrl-C to stop)`);

// Stop gracefully: finish in-flight requests, then exit.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.stop({ timeout: 5 }).then(() => IOLoop.current().stop());
  });
}
await IOLoop.current().start();
