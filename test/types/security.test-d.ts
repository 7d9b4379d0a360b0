// Compile-time checks of the security API's typings (authenticated, addslash, removeslash, signed
// cookies, XSRF settings): `npm test` typechecks this file, and every `@ts-expect-error` line fails
// the typecheck if the error it expects goes away.
import {
  addslash,
  Application,
  authenticated,
  createSignedValue,
  decodeSignedValue,
  removeslash,
  RequestHandler,
  type ApplicationSettings,
} from "typhoon";

interface User {
  name: string;
}

class ProfileHandler extends RequestHandler<User> {
  override getCurrentUser(): User | null {
    return null;
  }

  @authenticated
  get(): void {
    const name: string | undefined = this.currentUser?.name;
    this.write(name ?? "");
  }

  @authenticated
  async post(): Promise<void> {
    await Promise.resolve();
  }

  @removeslash
  @authenticated
  delete(id: string): void {
    this.write(id);
  }

  // Plain wrapper form, with `this` typed as the handler.
  put = authenticated(async function (this: ProfileHandler) {
    const user: User | null = this.currentUser;
    this.write(user?.name ?? "");
  });

  patch = addslash(function (this: ProfileHandler, id: string) {
    this.write(id);
  });
}

class ProtectedBase extends RequestHandler {
  // Protecting prepare() protects every verb of the subclasses.
  @authenticated
  override prepare(): void {}
}

export const app = new Application([
  ["/profile/(.*)", ProfileHandler],
  ["/base", ProtectedBase],
]);

class NotAHandler {
  // @ts-expect-error authenticated only decorates RequestHandler methods
  @authenticated
  get(): void {}

  // @ts-expect-error addslash only decorates RequestHandler methods
  @addslash
  list(): void {}

  // @ts-expect-error removeslash only decorates RequestHandler methods
  @removeslash
  show(): void {}
}
export const notAHandler = new NotAHandler();

// @ts-expect-error the plain wrapper needs `this` to be a handler too
export const wrongThis = authenticated(function (this: NotAHandler) {});

export class FieldDecorated extends RequestHandler {
  // @ts-expect-error authenticated decorates methods, not fields
  @authenticated
  handler = 1;
}

// Settings: key rotation, XSRF cookie attributes typed as cookie options.
export const rotated: ApplicationSettings = {
  cookieSecret: { 1: "old", 2: "new" },
  keyVersion: 2,
  xsrfCookies: true,
  xsrfCookieVersion: 2,
  xsrfCookieKwargs: { secure: true, sameSite: "Strict", expiresDays: 7 },
  loginUrl: "/login",
};

// @ts-expect-error xsrfCookieVersion is 1 or 2
export const badVersion: ApplicationSettings = { xsrfCookieVersion: 3 };

// @ts-expect-error xsrfCookieKwargs are cookie options: a misspelled attribute is an error
export const badKwargs: ApplicationSettings = { xsrfCookieKwargs: { httponly: true } };

// @ts-expect-error a key map's secrets are strings or Buffers
export const badSecret: ApplicationSettings = { cookieSecret: { 1: 42 } };

export class CookieHandler extends RequestHandler {
  get(): void {
    const value: Buffer | null = this.getSignedCookie("user", undefined, { maxAgeDays: 7, minVersion: 2 });
    const keyVersion: number | null = this.getSignedCookieKeyVersion("user");
    const token: string = this.xsrfToken;
    const html: string = this.xsrfFormHtml();
    this.setSignedCookie("user", "ann", { expiresDays: null, httpOnly: true, version: 2 });
    // @ts-expect-error signed values are version 1 or 2
    this.setSignedCookie("user", "ann", { version: 3 });
    // @ts-expect-error xsrfToken is read-only
    this.xsrfToken = "x";
    this.write({ value: value?.toString() ?? null, keyVersion, token, html });
  }
}

export const signed: string = createSignedValue("secret", "name", "value", { version: 1, clock: () => 0 });
export const decoded: Buffer | null = decodeSignedValue({ 0: "a" }, "name", signed, { maxAgeDays: 1 });
// @ts-expect-error minVersion is 1 or 2
decodeSignedValue("secret", "name", signed, { minVersion: 3 });
