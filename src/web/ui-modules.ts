// Ports tornado.web.UIModule, TemplateModule and the built-in linkify module: reusable page parts with their own CSS/JS.

import { linkify, type LinkifyOptions } from "../util/escape.js";
import { InvalidArgumentError } from "../util/errors.js";
import type { HTTPServerRequest } from "../http/request.js";
import type { RequestHandler } from "./request-handler.js";

/**
 * A reusable, self-contained part of a page, used in templates as `{% module Name(args) %}`.
 * A module can ask for CSS and JavaScript (files or inline code) and for extra HTML in the
 * page's `<head>` and at the end of its `<body>`; `RequestHandler.render()` adds them to the
 * page once per module class, whatever the number of times the module appears.
 * Register modules with the `uiModules` setting. Tornado: `tornado.web.UIModule`.
 *
 * `H` is the handler class the module is used with, so `this.handler` is typed.
 *
 * @example
 * class Entry extends UIModule {
 *   override render(entry: { title: string }) {
 *     return this.renderString("modules/entry.html", { entry });
 *   }
 *   override embeddedCss() { return ".entry { margin-bottom: 1em; }"; }
 * }
 * new Application(rules, { uiModules: { Entry } }); // {% module Entry(post) %}
 */
export abstract class UIModule<H extends RequestHandler = RequestHandler> {
  /** The handler rendering the page. */
  readonly handler: H;
  /** The request being answered (`this.handler.request`). */
  readonly request: HTTPServerRequest;

  /** Created by the handler the first time a page of the request uses the module. */
  constructor(handler: H) {
    this.handler = handler;
    this.request = handler.request;
  }

  /** The handler's UI methods and modules (`this.handler.ui`). */
  get ui(): UINamespace {
    return this.handler.ui;
  }

  /** The handler's `currentUser`. Tornado: `current_user`. */
  get currentUser(): unknown {
    return this.handler.currentUser;
  }

  /**
   * Override this to return the module's HTML, given the arguments of `{% module Name(...) %}`.
   * The result is inserted unescaped.
   */
  abstract render(...args: never[]): string;

  /** Override this to return JavaScript code put in a `<script>` at the end of the page's `<body>`. Tornado: `embedded_javascript`. */
  embeddedJavascript(): string | null {
    return null;
  }

  /**
   * Override this to return the JavaScript files the module needs, linked at the end of
   * `<body>` (each once, in order). Paths that do not start with `/`, `http:` or `https:`
   * go through the handler's `staticUrl`. Tornado: `javascript_files`.
   */
  javascriptFiles(): string | readonly string[] | null {
    return null;
  }

  /** Override this to return CSS put in a `<style>` in the page's `<head>`. Tornado: `embedded_css`. */
  embeddedCss(): string | null {
    return null;
  }

  /**
   * Override this to return the CSS files the module needs, linked in `<head>` (each once,
   * in order); relative paths go through `staticUrl`. Tornado: `css_files`.
   */
  cssFiles(): string | readonly string[] | null {
    return null;
  }

  /** Override this to return HTML put at the end of the page's `<head>`. Tornado: `html_head`. */
  htmlHead(): string | null {
    return null;
  }

  /** Override this to return HTML put at the end of the page's `<body>`. Tornado: `html_body`. */
  htmlBody(): string | null {
    return null;
  }

  /** Renders a template with the handler's namespace plus `kwargs`. Tornado: `render_string`. */
  renderString(name: string, kwargs: Readonly<Record<string, unknown>> = {}): string {
    return this.handler.renderString(name, kwargs);
  }
}

/**
 * `handler.ui`: the application's UI methods bound to the handler, and `modules`, the UI
 * modules as functions (`ui.modules.Entry(post)` renders like `{% module Entry(post) %}`).
 * Tornado: `RequestHandler.ui`.
 */
export type UINamespace = Readonly<Record<string, (...args: unknown[]) => unknown>> & { readonly modules: UIModuleNamespace };

/** The UI modules of a handler as functions returning their HTML. */
export type UIModuleNamespace = Readonly<Record<string, (...args: unknown[]) => string>>;

/**
 * A UI module class, as registered in the `uiModules` setting. (The handler parameter is
 * typed `never` so that modules written for a handler subclass, `UIModule<MyHandler>`, fit.)
 */
export type UIModuleClass = new (handler: never) => UIModule;

/** Modules by the name templates call them with: `{% module Name(...) %}`. */
export type UIModuleMap = Readonly<Record<string, UIModuleClass>>;

/**
 * A UI method: a function templates call by name, which receives the handler first
 * (`{{ myMethod(42) }}` calls `myMethod(handler, 42)`). Tornado: an entry of `ui_methods`.
 */
// A method signature makes the handler parameter bivariant, so `(handler: MyHandler, ...) => ...` fits.
export type UIMethod = { method(handler: RequestHandler, ...args: never[]): unknown }["method"];

/** UI methods by name; names starting with `_` or an upper-case letter are skipped, as Tornado. */
export type UIMethodMap = Readonly<Record<string, UIMethod>>;

/** What `setResources()` accepts in a template rendered by {@link TemplateModule}. */
export interface TemplateResources {
  embeddedJavascript?: string;
  javascriptFiles?: string | readonly string[];
  embeddedCss?: string;
  cssFiles?: string | readonly string[];
  htmlHead?: string;
  htmlBody?: string;
}

const RESOURCE_KEYS: ReadonlySet<string> = new Set([
  "embeddedJavascript",
  "javascriptFiles",
  "embeddedCss",
  "cssFiles",
  "htmlHead",
  "htmlBody",
]);

/**
 * The built-in module `Template`: `{% module Template("entry.html", {entry: e}) %}` renders
 * another template, like `{% include %}` but with its own namespace (the handler's plus the
 * given values) instead of the includer's. The template can declare the CSS and JavaScript it
 * needs with `setResources({...})` (keys as the `UIModule` methods: `embeddedCss`, `cssFiles`,
 * `embeddedJavascript`, `javascriptFiles`, `htmlHead`, `htmlBody`); they are added to the page
 * once per template file, so they must not depend on the values passed.
 * Tornado: `tornado.web.TemplateModule` (with `set_resources(**kwargs)`).
 *
 * @example
 * // entry.html:
 * // {{ setResources({ embeddedCss: ".entry { margin: 1em }", javascriptFiles: "/entry.js" }) }}
 * // <div class="entry">{{ entry.title }}</div>
 */
export class TemplateModule extends UIModule {
  readonly #resources = new Map<string, TemplateResources>();

  /** Renders template `name` with the handler's namespace, `kwargs` and `setResources`. */
  override render(name: string, kwargs: Readonly<Record<string, unknown>> = {}): string {
    const setResources = (resources: TemplateResources): string => {
      checkResources(resources);
      const known = this.#resources.get(name);
      if (known === undefined) this.#resources.set(name, resources);
      else if (!sameResources(known, resources)) {
        throw new InvalidArgumentError(
          `setResources() was called with different resources for the same template ${name}: ` +
            "resources are added once per template file, so they must not depend on the values passed to it",
          "TYPHOON_ERR_TEMPLATE_RESOURCES",
        );
      }
      return "";
    };
    return this.renderString(name, { setResources, ...kwargs });
  }

  #strings(key: "embeddedJavascript" | "embeddedCss" | "htmlHead" | "htmlBody"): string[] {
    const result: string[] = [];
    for (const resources of this.#resources.values()) {
      const value = resources[key];
      if (value !== undefined) result.push(value);
    }
    return result;
  }

  #files(key: "javascriptFiles" | "cssFiles"): string[] {
    const result: string[] = [];
    for (const resources of this.#resources.values()) {
      const value = resources[key];
      if (typeof value === "string") result.push(value);
      else if (value !== undefined) result.push(...value);
    }
    return result;
  }

  override embeddedJavascript(): string {
    return this.#strings("embeddedJavascript").join("\n");
  }

  override javascriptFiles(): string[] {
    return this.#files("javascriptFiles");
  }

  override embeddedCss(): string {
    return this.#strings("embeddedCss").join("\n");
  }

  override cssFiles(): string[] {
    return this.#files("cssFiles");
  }

  override htmlHead(): string {
    return this.#strings("htmlHead").join("");
  }

  override htmlBody(): string {
    return this.#strings("htmlBody").join("");
  }
}

function checkResources(resources: TemplateResources): void {
  if (typeof resources !== "object" || resources === null) {
    throw new InvalidArgumentError("setResources() takes one object, e.g. setResources({ cssFiles: [\"/a.css\"] })", "TYPHOON_ERR_TEMPLATE_RESOURCES");
  }
  for (const key of Object.keys(resources)) {
    if (!RESOURCE_KEYS.has(key)) {
      throw new InvalidArgumentError(
        `setResources() got an unknown key ${JSON.stringify(key)}: use ${[...RESOURCE_KEYS].join(", ")}`,
        "TYPHOON_ERR_TEMPLATE_RESOURCES",
      );
    }
  }
}

function sameResources(a: TemplateResources, b: TemplateResources): boolean {
  const keysA = Object.keys(a) as (keyof TemplateResources)[];
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => {
    const x = a[key];
    const y = b[key];
    if (typeof x === "string" || typeof y === "string" || x === undefined || y === undefined) return x === y;
    return x.length === y.length && x.every((item, index) => item === y[index]);
  });
}

/** The built-in module `linkify`: `{% module linkify(text) %}` is `linkify(text)`, unescaped. */
class LinkifyModule extends UIModule {
  override render(text: string, options: LinkifyOptions = {}): string {
    return linkify(text, options);
  }
}

/**
 * The built-in module `xsrfFormHtml`: `{% module xsrfFormHtml() %}` is the handler's
 * `xsrfFormHtml()`, the hidden `_xsrf` input a form needs when `xsrfCookies` is on.
 * Tornado: the `xsrf_form_html` module.
 */
class XsrfFormHtmlModule extends UIModule {
  override render(): string {
    return this.handler.xsrfFormHtml();
  }
}

/** The modules every application has, before its own `uiModules`. Tornado: `Application.ui_modules`' defaults. */
export const builtinUIModules: UIModuleMap = Object.freeze({
  linkify: LinkifyModule,
  xsrfFormHtml: XsrfFormHtmlModule,
  Template: TemplateModule,
});

/**
 * Collects the `uiModules` setting (a map or an array of maps, e.g. `import * as modules`)
 * into one map, after the built-ins. Tornado: `Application._load_ui_modules`.
 * @throws InvalidArgumentError for a value that is not a `UIModule` subclass.
 */
export function loadUIModules(source: UIModuleMap | readonly UIModuleMap[] | undefined): UIModuleMap {
  const modules: Record<string, UIModuleClass> = { ...builtinUIModules };
  for (const map of toMaps(source)) {
    for (const [name, moduleClass] of Object.entries(map)) {
      if (typeof moduleClass !== "function" || !(moduleClass.prototype instanceof UIModule)) {
        throw new InvalidArgumentError(
          `uiModules.${name} is not a UIModule subclass: register classes that extend UIModule`,
          "TYPHOON_ERR_BAD_UI_MODULE",
        );
      }
      modules[name] = moduleClass;
    }
  }
  return Object.freeze(modules);
}

/**
 * Collects the `uiMethods` setting (a map or an array of maps, e.g. `import * as uiMethods`)
 * into one map. As Tornado, names starting with `_` or with an upper-case letter are skipped,
 * so a module of helpers can hold private functions and classes.
 * Tornado: `Application._load_ui_methods`.
 * @throws InvalidArgumentError for a value that is not a function, or the name `modules`.
 */
export function loadUIMethods(source: UIMethodMap | readonly UIMethodMap[] | undefined): Readonly<Record<string, UIMethod>> {
  const methods: Record<string, UIMethod> = {};
  for (const map of toMaps(source)) {
    for (const [name, method] of Object.entries(map)) {
      const first = name.charAt(0);
      if (first === "_" || first !== first.toLowerCase()) continue;
      if (typeof method !== "function") {
        throw new InvalidArgumentError(`uiMethods.${name} is not a function: UI methods are functions called with the handler first`, "TYPHOON_ERR_BAD_UI_METHOD");
      }
      if (name === "modules") {
        throw new InvalidArgumentError("a UI method cannot be named `modules`: that name holds the UI modules in templates", "TYPHOON_ERR_BAD_UI_METHOD");
      }
      methods[name] = method;
    }
  }
  return Object.freeze(methods);
}

function toMaps<M>(source: M | readonly M[] | undefined): readonly M[] {
  if (source === undefined || source === null) return [];
  return Array.isArray(source) ? (source as readonly M[]) : [source as M];
}
