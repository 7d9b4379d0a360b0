// Compile-time checks of the public typings: `npm test` typechecks this file, and every
// `@ts-expect-error` line fails the typecheck if the error it expects goes away.
import { Application, RequestHandler, url, type ApplicationSettings } from "typhoon";

class Database {
  query(): string[] {
    return [];
  }
}

class TestHandler extends RequestHandler {
  declare database: Database;
  override initialize({ database }: { database: Database }) {
    this.database = database;
  }
  get() {
    this.write({ rows: this.database.query() });
  }
}

class UserHandler extends RequestHandler<{ name: string }> {
  override getCurrentUser() {
    return { name: "ann" };
  }
  get() {
    const name: string | undefined = this.currentUser?.name;
    this.write(name ?? "");
  }
}

export const ok = new Application(
  [["/", TestHandler, { database: new Database() }], url("/typed", TestHandler, { database: new Database() }), ["/user", UserHandler]],
  { debug: true, cookieSecret: "secret", xsrfCookies: true },
);

// @ts-expect-error a misspelled setting is a compile error
export const typo = new Application([], { cookieSecrett: "secret" });

// @ts-expect-error url() checks initArgs against the handler's initialize()
export const wrongInitArgs = url("/typed", TestHandler, { databse: new Database() });

// @ts-expect-error a class that is not a RequestHandler is not a rule target
export const notAHandler = new Application([["/", class NotAHandler {}]]);

// @ts-expect-error a setting of the wrong type
export const wrongType: ApplicationSettings = { debug: "yes" };

// A handler typed with its user: currentUser is User | null.
export function currentUserType(handler: UserHandler): { name: string } | null {
  return handler.currentUser;
}
