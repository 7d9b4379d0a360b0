// Ports the template side of tornado.web.RequestHandler: loader cache, UI namespace, UI module resources added to rendered pages.

import { HTTPInputError } from "../http/errors.js";
import { Loader, type LoaderOptions, type TemplateLoaderLike, TemplateRenderError } from "../template/index.js";
import { xhtmlEscape } from "../util/escape.js";
import { InvalidStateError } from "../util/errors.js";
import type { Application } from "./application.js";
import { Finish, HTTPError } from "./errors.js";
import type { RequestHandler } from "./request-handler.js";
import type { ApplicationSettings } from "./settings.js";
import type { UIModule, UIModuleClass, UIModuleNamespace, UINamespace } from "./ui-modules.js";

type CreateTemplateLoader = RequestHandler["createTemplateLoader"];

/**
 * Loaders by application, then by `createTemplateLoader` implementation, then by template
 * path. Tornado keeps one process-wide cache by path (`RequestHandler._template_loaders`),
 * which makes two applications, or two handler classes with their own loaders, share one.
 */
const loaderCaches = new WeakMap<Application, Map<CreateTemplateLoader, Map<string, TemplateLoaderLike>>>();

/** The loader of `templatePath` for `handler`, created once with `handler.createTemplateLoader`. */
export function cachedTemplateLoader(handler: RequestHandler, templatePath: string): TemplateLoaderLike {
  const application = handler.application;
  let byFactory = loaderCaches.get(application);
  if (byFactory === undefined) {
    byFactory = new Map();
    loaderCaches.set(application, byFactory);
  }
  // Only a cache key: the implementation is called below through the handler.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const create = handler.createTemplateLoader;
  let byPath = byFactory.get(create);
  if (byPath === undefined) {
    byPath = new Map();
    byFactory.set(create, byPath);
  }
  let loader = byPath.get(templatePath);
  if (loader === undefined) {
    loader = handler.createTemplateLoader(templatePath);
    byPath.set(templatePath, loader);
  }
  return loader;
}

/** Forgets the compiled templates of every loader `application` created (those with a `reset()`). */
export function resetTemplateLoaders(application: Application): void {
  const byFactory = loaderCaches.get(application);
  if (byFactory === undefined) return;
  for (const byPath of byFactory.values()) {
    for (const loader of byPath.values()) loader.reset?.();
  }
}

/**
 * A callback for autoreload that resets `application`'s loaders, holding the application
 * weakly so a watched directory does not keep it alive.
 */
export function templateLoaderResetter(application: Application): () => void {
  const ref = new WeakRef(application);
  return () => {
    const target = ref.deref();
    if (target !== undefined) resetTemplateLoaders(target);
  };
}

/** `RequestHandler.createTemplateLoader`'s default: the `templateLoader` setting, else a `Loader` on `templatePath`. */
export function defaultTemplateLoader(settings: ApplicationSettings, templatePath: string): TemplateLoaderLike {
  if (settings.templateLoader !== undefined) return settings.templateLoader;
  if (!templatePath) {
    throw new InvalidStateError(
      "rendering a template needs the templatePath setting (the directory of the templates), " +
        "a templateLoader setting, or a getTemplatePath() / createTemplateLoader() override in the handler",
      "TYPHOON_ERR_NO_TEMPLATE_PATH",
    );
  }
  const options: LoaderOptions = {};
  // autoescape: null means "no escaping", so it is passed only when set (as Tornado).
  if (settings.autoescape !== undefined) options.autoescape = settings.autoescape;
  if (settings.templateWhitespace !== undefined) options.whitespace = settings.templateWhitespace;
  return new Loader(templatePath, options);
}

/**
 * What a failed render throws to the handler: an `HTTPError`, `HTTPInputError` or `Finish`
 * raised inside a template keeps its meaning (404, 400, early finish) instead of becoming a
 * 500; anything else stays a `TemplateRenderError` naming the template and line.
 */
export function unwrapRenderError(error: unknown): unknown {
  if (!(error instanceof TemplateRenderError)) return error;
  const original = error.originalError;
  if (original instanceof HTTPError || original instanceof Finish || original instanceof HTTPInputError) return original;
  return error;
}

/**
 * Builds `handler.ui`: each UI method of the application bound to the handler, and
 * `modules`, one function per UI module rendering it with the handler's instance of it.
 */
export function createUINamespace(handler: RequestHandler, activeModule: (name: string, moduleClass: UIModuleClass) => UIModule): UINamespace {
  const ui: Record<string, unknown> = {};
  const methods = handler.application.uiMethods;
  for (const name in methods) {
    const method = methods[name]!;
    ui[name] = (...args: unknown[]) => method(handler, ...(args as never[]));
  }
  const modules: Record<string, (...args: unknown[]) => string> = {};
  const moduleClasses = handler.application.uiModules;
  for (const name in moduleClasses) {
    const moduleClass = moduleClasses[name]!;
    modules[name] = (...args: unknown[]) => {
      const module = activeModule(name, moduleClass) as { render(...args: unknown[]): string };
      return module.render(...args);
    };
  }
  ui["modules"] = modules as UIModuleNamespace;
  return ui as UINamespace;
}

/** The value of method `name` of `target` bound to it, or `undefined` when it has none. */
export function boundMethod(target: object, name: string): ((...args: unknown[]) => unknown) | undefined {
  const value = (target as Record<string, unknown>)[name];
  return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : undefined;
}

function isAbsoluteUrl(path: string): boolean {
  return path.startsWith("/") || path.startsWith("http:") || path.startsWith("https:");
}

/**
 * The URLs of `paths` in order, each once: absolute ones as they are, relative ones through
 * `handler.staticUrl`.
 */
export function resourceUrls(handler: RequestHandler, paths: readonly string[]): string[] {
  const urls = new Set<string>();
  for (const path of paths) {
    if (isAbsoluteUrl(path)) {
      urls.add(path);
      continue;
    }
    const staticUrl = boundMethod(handler, "staticUrl");
    if (staticUrl === undefined) {
      throw new InvalidStateError(
        `a UI module asks for the relative file ${JSON.stringify(path)}, which needs the handler's staticUrl(): ` +
          "give an absolute path (/static/...) or URL instead",
        "TYPHOON_ERR_NO_STATIC_URL",
      );
    }
    urls.add(String(staticUrl(path)));
  }
  return [...urls];
}

/** `<script src>` tags for `urls`, as Tornado's `render_linked_js`. */
export function linkedJs(urls: readonly string[]): string {
  return urls.map((url) => `<script src="${xhtmlEscape(url)}" type="text/javascript"></script>`).join("");
}

/** `<link rel=stylesheet>` tags for `urls`, as Tornado's `render_linked_css`. */
export function linkedCss(urls: readonly string[]): string {
  return urls.map((url) => `<link href="${xhtmlEscape(url)}" type="text/css" rel="stylesheet"/>`).join("");
}

function collectFiles(into: string[], files: string | readonly string[] | null | undefined): void {
  if (!files) return;
  if (typeof files === "string") into.push(files);
  else into.push(...files);
}

function insertAt(html: string, index: number, marker: string, text: string, name: string): string {
  if (index === -1) {
    throw new InvalidStateError(
      `the page rendered from ${name} has no ${marker}, which the UI modules on it need to add their CSS, JavaScript or HTML`,
      "TYPHOON_ERR_TEMPLATE_NO_MARKER",
    );
  }
  return html.slice(0, index) + text + html.slice(index);
}

/**
 * Adds the CSS, JavaScript and HTML the active UI modules ask for to a rendered page, at the
 * places and in the order Tornado's `render()` does: linked then embedded CSS and `htmlHead`
 * before `</head>`, linked then embedded JavaScript before the last `</body>`, `htmlBody`
 * before the first `</body>`.
 */
export function addModuleResources(handler: RequestHandler, html: string, modules: Iterable<UIModule>, name: string): string {
  const jsEmbed: string[] = [];
  const jsFiles: string[] = [];
  const cssEmbed: string[] = [];
  const cssFiles: string[] = [];
  const heads: string[] = [];
  const bodies: string[] = [];
  for (const module of modules) {
    const js = module.embeddedJavascript();
    if (js) jsEmbed.push(js);
    collectFiles(jsFiles, module.javascriptFiles());
    const css = module.embeddedCss();
    if (css) cssEmbed.push(css);
    collectFiles(cssFiles, module.cssFiles());
    const head = module.htmlHead();
    if (head) heads.push(head);
    const body = module.htmlBody();
    if (body) bodies.push(body);
  }
  if (jsFiles.length > 0) html = insertAt(html, html.lastIndexOf("</body>"), "</body>", `${handler.renderLinkedJs(jsFiles)}\n`, name);
  if (jsEmbed.length > 0) html = insertAt(html, html.lastIndexOf("</body>"), "</body>", `${handler.renderEmbedJs(jsEmbed)}\n`, name);
  if (cssFiles.length > 0) html = insertAt(html, html.indexOf("</head>"), "</head>", `${handler.renderLinkedCss(cssFiles)}\n`, name);
  if (cssEmbed.length > 0) html = insertAt(html, html.indexOf("</head>"), "</head>", `${handler.renderEmbedCss(cssEmbed)}\n`, name);
  if (heads.length > 0) html = insertAt(html, html.indexOf("</head>"), "</head>", `${heads.join("")}\n`, name);
  if (bodies.length > 0) html = insertAt(html, html.indexOf("</body>"), "</body>", `${bodies.join("")}\n`, name);
  return html;
}
