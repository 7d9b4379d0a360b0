// A guest book rendered with templates: a layout (base.html) extended by the pages, a UI module
// (Entry) with its own CSS, a UI method (plural), and a form that posts back to the page,
// protected against cross-site request forgery by `xsrfCookies` and `{% raw xsrfFormHtml() %}`.
// Run it with `node --conditions=typhoon-source --import tsx examples/templates-app/app.ts`,
// then open http://localhost:8888/.
import { fileURLToPath, pathToFileURL } from "node:url";
import { Application, enablePrettyLogging, RequestHandler, url } from "typhoon";
import { Guestbook } from "./guestbook.js";
import { Entry, plural } from "./ui.js";

/** Base of the pages: every template also gets `guestbook`. */
class GuestbookHandler extends RequestHandler {
  declare guestbook: Guestbook;

  override initialize({ guestbook }: { guestbook: Guestbook }) {
    this.guestbook = guestbook;
  }

  override getTemplateNamespace() {
    return { ...super.getTemplateNamespace(), guestbook: this.guestbook };
  }
}

/** GET: the entries and the form. POST: add an entry, then redirect (or show the form again with an error). */
class HomeHandler extends GuestbookHandler {
  get() {
    return this.render("index.html", { entries: this.guestbook.entries, error: null, name: "", message: "" });
  }

  post() {
    const name = this.getArgument("name", "");
    const message = this.getArgument("message", "");
    if (!name || !message) {
      this.setStatus(400);
      return this.render("index.html", { entries: this.guestbook.entries, error: "Please give your name and a message.", name, message });
    }
    this.guestbook.add(name.slice(0, 100), message.slice(0, 2000));
    return this.redirect(this.reverseUrl("home"));
  }
}

/** One entry in full. */
class EntryHandler extends GuestbookHandler {
  get(id: string) {
    const entry = this.guestbook.get(Number(id));
    if (!entry) {
      this.setStatus(404);
      return this.render("index.html", { entries: this.guestbook.entries, error: `There is no entry ${id}.`, name: "", message: "" });
    }
    return this.render("entry.html", { entry });
  }
}

/** The application; `debug` reloads edited templates on the next request. */
export function createApp(options: { debug?: boolean; guestbook?: Guestbook } = {}): Application {
  const guestbook = options.guestbook ?? new Guestbook();
  return new Application(
    [url("/", HomeHandler, { guestbook }, "home"), url("/entry/(\\d+)", EntryHandler, { guestbook }, "entry")],
    {
      templatePath: fileURLToPath(new URL("templates", import.meta.url)),
      uiModules: { Entry },
      uiMethods: { plural },
      // Every POST must carry the token of the `_xsrf` cookie: the form sends it as a hidden field.
      xsrfCookies: true,
      debug: options.debug ?? false,
    },
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  enablePrettyLogging();
  const port = Number(process.env.PORT ?? 8888);
  await createApp({ debug: true }).listen(port);
  console.log(`Guest book on http://localhost:${port}/`);
}
