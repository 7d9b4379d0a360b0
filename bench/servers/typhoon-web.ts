// The scenarios on Typhoon's web framework, written against the public API (API.md) as a Tornado
// user would: handler classes, regex rules, getSignedCookie, render, staticPath.
import { Application, RequestHandler, type ApplicationRule, type ApplicationSettings } from "typhoon";
import {
  announceReady,
  announceSkip,
  loadFixture,
  ruleIndices,
  rulePrefix,
  scenarioArgument,
} from "./shared/fixture.js";
import { requireTyphoon } from "./shared/typhoon-api.js";

const fixture = loadFixture();
const scenario = scenarioArgument();

class HelloHandler extends RequestHandler {
  get(): void {
    this.write(fixture.hello);
  }
}

class JsonHandler extends RequestHandler {
  get(): void {
    this.write(fixture.json);
  }
}

class UserHandler extends RequestHandler {
  get(userId: string): void {
    this.write(`User ${userId}`);
  }
}

class ItemHandler extends RequestHandler {
  section = 0;
  override initialize({ section }: { section: number }): void {
    this.section = section;
  }
  get(itemId: string): void {
    this.write(`section ${this.section} item ${itemId}`);
  }
}

class FormHandler extends RequestHandler {
  post(): void {
    const values: string[] = [];
    for (let i = 0; i < 10; i++) values.push(this.getBodyArgument(`f${i}`));
    this.write(values.join(","));
  }
}

class CookieHandler extends RequestHandler {
  get(): void {
    const user = this.getSignedCookie(fixture.cookieName);
    if (user === null) this.sendError(403);
    else this.write(`Hello, ${user.toString()}`);
  }
}

class TemplateHandler extends RequestHandler {
  async get(): Promise<void> {
    await this.render(fixture.templateName, { title: fixture.title, rows: fixture.rows });
  }
}

let rules: ApplicationRule[] = [];
let settings: ApplicationSettings = {};
switch (scenario) {
  case "hello":
    rules = [["/hello", HelloHandler]];
    break;
  case "json":
    rules = [["/json", JsonHandler]];
    break;
  case "param":
    rules = [["/user/(\\d+)", UserHandler]];
    break;
  case "rules1":
  case "rules500":
    rules = ruleIndices(fixture, scenario).map((i): ApplicationRule => [`${rulePrefix(i)}(\\d+)`, ItemHandler, { section: i }]);
    break;
  case "form":
    rules = [["/form", FormHandler]];
    break;
  case "cookie":
    rules = [["/cookie", CookieHandler]];
    settings = { cookieSecret: fixture.cookieSecret };
    break;
  case "template":
    rules = [["/template", TemplateHandler]];
    settings = { templatePath: fixture.templateDir };
    break;
  case "static":
  case "revalidate":
    requireTyphoon("StaticFileHandler");
    settings = { staticPath: fixture.staticDir };
    break;
  default:
    announceSkip(`the Typhoon web server has no "${scenario}" scenario`);
}

const server = await new Application(rules, settings).listen(0, "127.0.0.1");
announceReady(server.port);
