// Ports tornado.template.Template and BaseLoader: compile a template once to a JavaScript function, render it with a namespace.

import { TyphoonError } from "../util/errors.js";
import { jsonEncode, linkify, squeeze, urlEscape, xhtmlEscape } from "../util/escape.js";
import { generateCode, type GeneratedCode } from "./codegen.js";
import { TemplateNotFoundError, TemplatePathError } from "./errors.js";
import { ParseError, isWhitespaceMode, parseTemplate, type ParsedFile, type WhitespaceMode } from "./parser.js";

/** The values a template's expressions can see as plain variables. */
export type TemplateNamespace = Readonly<Record<string, unknown>>;

/**
 * The escape helpers every template can use, whatever the namespace. Tornado adds the
 * same set (plus `datetime`) in `Template.generate`.
 */
export const templateBuiltins: TemplateNamespace = Object.freeze({
  escape: xhtmlEscape,
  xhtmlEscape,
  urlEscape,
  jsonEncode,
  squeeze,
  linkify,
});

/**
 * Anything that can be rendered: Typhoon's {@link Template}, or an adapter around another engine.
 * The web layer's `templateLoader` setting accepts any loader whose `load()` returns one.
 */
export interface TemplateLike {
  generate(namespace: TemplateNamespace): string;
}

/**
 * The minimal loader contract: `load(name)` returns something with `generate(namespace)`.
 * {@link Loader} and {@link DictLoader} satisfy it; so can an adapter for Nunjucks, Eta and the like.
 */
export interface TemplateLoaderLike {
  load(name: string, parentPath?: string): TemplateLike;
  reset?(): void;
}

/** Options of {@link Template}. */
export interface TemplateOptions {
  /** The template's name, shown in error messages; default `<string>`. Its extension picks the default whitespace mode. */
  name?: string;
  /** Resolves `{% extends %}` and `{% include %}`, and supplies the default autoescape, namespace and whitespace. */
  loader?: BaseLoader;
  /**
   * The name of the namespace function applied to every `{{ }}` value (default `xhtmlEscape`,
   * or the loader's), or `null` for no escaping.
   */
  autoescape?: string | null;
  /** Default: the loader's, else `single` for names ending in `.html` or `.js` and `all` for others. */
  whitespace?: WhitespaceMode;
}

/** Options of a template loader (Tornado: `BaseLoader`'s keyword arguments). */
export interface LoaderOptions {
  /** Default autoescape function name for the loaded templates; `null` turns escaping off. Default `xhtmlEscape`. */
  autoescape?: string | null;
  /** Values added to the namespace of every template this loader loads (`generate()`'s values win). */
  namespace?: TemplateNamespace;
  /** Whitespace mode for every template; default by file extension. */
  whitespace?: WhitespaceMode;
}

// How many locations of a chain of templates rendering templates a message shows, outermost
// and innermost: a runaway recursion (a template rendering itself through a module) would
// otherwise make messages and memory grow with the square of its depth.
const SHOWN_OUTER = 4;
const SHOWN_INNER = 2;

/**
 * An exception thrown while rendering, re-thrown with the template location where it
 * happened: `Error rendering template sub.html:4 (via base.html:1): TypeError: ...`.
 * The original is `cause`; `originalError` digs through nested template errors
 * (a UI module rendering another template) to the first thrown value.
 */
export class TemplateRenderError extends TyphoonError {
  /** Where it happened, as Tornado's traceback comments: `sub.html:4 (via base.html:1)`. */
  readonly location: string;
  /** This location and those of the nested template errors below it, the middle left out past a few. */
  readonly #chain: readonly string[];
  /** The number of nested template errors, this one included. */
  readonly #depth: number;
  readonly #original: unknown;

  constructor(location: string, cause: unknown) {
    const nested = cause instanceof TemplateRenderError;
    let chain = nested ? [location, ...cause.#chain] : [location];
    if (chain.length > SHOWN_OUTER + SHOWN_INNER) chain = [...chain.slice(0, SHOWN_OUTER), ...chain.slice(-SHOWN_INNER)];
    const depth = nested ? cause.#depth + 1 : 1;
    const original = nested ? cause.originalError : cause;
    super("TYPHOON_ERR_TEMPLATE_RENDER", `${describeChain(chain, depth)}: ${describe(original)}`, { cause });
    this.location = location;
    this.#chain = chain;
    this.#depth = depth;
    this.#original = original;
  }

  /** The value first thrown, below any nested `TemplateRenderError`s. */
  get originalError(): unknown {
    return this.#original;
  }
}

function describeChain(chain: readonly string[], depth: number): string {
  const parts = chain.map((location) => `Error rendering template ${location}`);
  if (depth > chain.length) parts.splice(SHOWN_OUTER, 0, `... (${depth - chain.length} more nested templates) ...`);
  return parts.join(": ");
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Converts a `{{ }}` value to text: strings as they are, `null`/`undefined` as "", Buffers as UTF-8. */
function toText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value === "object") {
    if (Buffer.isBuffer(value)) return value.toString("utf8");
    if (typeof (value as { then?: unknown }).then === "function") {
      throw new TypeError("a template expression returned a Promise: templates render synchronously, await the value first and pass it in");
    }
  }
  return String(value);
}

function modulesOf(namespace: TemplateNamespace): Record<string, (...args: unknown[]) => unknown> {
  const modules = namespace["modules"];
  if (typeof modules !== "object" || modules === null) {
    throw new TyphoonError(
      "TYPHOON_ERR_TEMPLATE_NO_MODULES",
      "{% module %} needs a `modules` object in the namespace: RequestHandler.render provides it, or pass one to generate()",
    );
  }
  return modules as Record<string, (...args: unknown[]) => unknown>;
}

type Execute = (namespace: TemplateNamespace) => string;
type Factory = (str: typeof toText, fail: (error: unknown, location: number) => unknown, modules: typeof modulesOf) => Execute;

// Words that cannot be `let` bindings in strict-mode code, plus globals a template must not shadow.
const NOT_BINDABLE = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await arguments eval undefined NaN Infinity"
  ).split(" "),
);
const IDENTIFIER_RE = /^[A-Za-z_$][\w$]*$/;

/** Parsed files and inheritance chains of the templates built here, for extends/include in others. */
const parsedTemplates = new WeakMap<Template, { file: ParsedFile; ancestors: ParsedFile[] }>();
/** Templates under construction, to turn a cyclic extends/include into an error instead of endless recursion. */
const constructing: { loader: BaseLoader; name: string }[] = [];

/**
 * A compiled template. The source is parsed and compiled once, in the constructor; `generate()`
 * runs the compiled JavaScript (one function per distinct set of namespace names, cached here).
 *
 * @example
 * const t = new Template("<html>{{ myvalue }}</html>");
 * t.generate({ myvalue: "XXX" }); // "<html>XXX</html>"
 */
export class Template implements TemplateLike {
  /** The name given at construction (the loader's path for loaded templates). */
  readonly name: string;
  /** The autoescape function name in force for this file's `{{ }}` (after its `{% autoescape %}`), or `null`. */
  readonly autoescape: string | null;
  /** The whitespace mode the file starts in. */
  readonly whitespace: WhitespaceMode;
  /** The loader that loaded this template, if any. */
  readonly loader: BaseLoader | undefined;
  /** The loader's namespace, merged into every `generate()`. */
  readonly namespace: TemplateNamespace;
  /** The generated JavaScript statements (for debugging), as Tornado's `Template.code`. */
  readonly code: string;

  readonly #generated: GeneratedCode;
  readonly #executors = new Map<string, Execute>();

  constructor(source: string | Buffer, options: TemplateOptions = {}) {
    const name = options.name ?? "<string>";
    const loader = options.loader;
    this.name = name;
    this.loader = loader;
    this.namespace = loader?.namespace ?? {};
    const whitespace = options.whitespace ?? loader?.whitespace ?? (name.endsWith(".html") || name.endsWith(".js") ? "single" : "all");
    if (!isWhitespaceMode(whitespace)) {
      throw new TyphoonError("TYPHOON_ERR_TEMPLATE_WHITESPACE", `invalid whitespace mode ${String(whitespace)}: use "all", "single" or "oneline"`);
    }
    this.whitespace = whitespace;
    const autoescape = options.autoescape !== undefined ? options.autoescape : loader ? loader.autoescape : "xhtmlEscape";
    const text = typeof source === "string" ? source : source.toString("utf8");
    const file = parseTemplate(text, name, whitespace, autoescape);
    this.autoescape = file.autoescape;

    if (loader) constructing.push({ loader, name });
    try {
      const ancestors = this.#ancestors(file);
      parsedTemplates.set(this, { file, ancestors });
      this.#generated = generateCode({
        ancestors,
        loadIncluded: (includedName, from, line) => this.#loadReferenced("include", includedName, from, line).file,
      });
    } finally {
      if (loader) constructing.pop();
    }
    this.code = this.#generated.body;
    // Compiling now reports syntax errors at construction, as Tornado; the function made is
    // the one a generate() without arguments uses.
    const baseKeys = Object.keys(Object.assign({}, templateBuiltins, this.namespace));
    this.#executors.set(baseKeys.join(","), this.#executorFor(baseKeys));
  }

  /**
   * Renders the template. `namespace` values are plain variables in the template's
   * expressions, on top of the loader's namespace and the escape helpers.
   * Tornado: `generate(**kwargs)` (which returns bytes; this returns a string).
   */
  generate(namespace: TemplateNamespace = {}): string {
    const merged: Record<string, unknown> = Object.assign({}, templateBuiltins, this.namespace, namespace);
    const keys = Object.keys(merged);
    const signature = keys.join(",");
    let execute = this.#executors.get(signature);
    if (execute === undefined) {
      execute = this.#executorFor(keys);
      // Bounded: callers passing ever-new sets of names must not grow this without limit.
      if (this.#executors.size >= 64) this.#executors.clear();
      this.#executors.set(signature, execute);
    }
    return execute(merged);
  }

  /** The chain of files this one extends, root-most first, this one last. Tornado: `_get_ancestors`. */
  #ancestors(file: ParsedFile): ParsedFile[] {
    const ancestors = [file];
    for (const node of file.body) {
      if (node.kind !== "extends") continue;
      const parent = this.#loadReferenced("extends", node.name, file, node.line);
      ancestors.unshift(...parent.ancestors);
    }
    return ancestors;
  }

  #loadReferenced(directive: string, name: string, from: ParsedFile, line: number): { file: ParsedFile; ancestors: ParsedFile[] } {
    const loader = this.loader;
    if (loader === undefined) throw new ParseError(`{% ${directive} %} block found, but no template loader`, from.name, line);
    let template: Template;
    try {
      template = this.#loadAcyclic(loader, directive, name, from, line);
    } catch (error) {
      // Say which directive asked for a template that is missing or outside the root.
      const referencedAt = `${from.name}:${line}`;
      if (error instanceof TemplateNotFoundError && error.referencedAt === undefined) {
        throw new TemplateNotFoundError(error.templateName, error.searched, { cause: error.cause, referencedAt });
      }
      if (error instanceof TemplatePathError && error.referencedAt === undefined) {
        throw new TemplatePathError(error.templateName, error.root, { referencedAt });
      }
      throw error;
    }
    const parsed = parsedTemplates.get(template);
    if (parsed === undefined) throw new ParseError(`{% ${directive} %}: the loader did not return a Typhoon Template`, from.name, line);
    return parsed;
  }

  #loadAcyclic(loader: BaseLoader, directive: string, name: string, from: ParsedFile, line: number): Template {
    const resolved = loader.resolvePath(name, from.name);
    const cycleStart = constructing.findIndex((entry) => entry.loader === loader && entry.name === resolved);
    if (cycleStart !== -1) {
      const chain = [...constructing.slice(cycleStart).map((entry) => entry.name), resolved];
      throw new ParseError(`{% ${directive} "${name}" %} makes a cycle: ${chain.join(" → ")}`, from.name, line);
    }
    return loader.load(name, from.name);
  }

  #compileFactory(keys: readonly string[]): Factory {
    const { setTargets, body } = this.#generated;
    const bound = keys.filter((key) => IDENTIFIER_RE.test(key) && !NOT_BINDABLE.has(key));
    const bind = bound.length > 0 ? `let {${bound.join(", ")}} = _tt_ns;\n` : "";
    const boundSet = new Set(bound);
    const locals = setTargets.filter((name) => !boundSet.has(name));
    const declare = locals.length > 0 ? `let ${locals.join(", ")};\n` : "";
    const source =
      '"use strict";\n' +
      "return function _tt_execute(_tt_ns) {\n" +
      bind +
      declare +
      'let _tt_loc = 0, _tt_buf = "";\n' +
      "try {\n" +
      body +
      "\n  return _tt_buf;\n" +
      "} catch (_tt_e) { throw _tt_fail(_tt_e, _tt_loc); }\n" +
      "};\n" +
      // Names the compiled code in stack traces, as Tornado's `foo_html.generated.py`.
      `//# sourceURL=${this.name.replace(/[^\w/-]/g, "_")}.generated.js\n`;
    try {
      // Compiling templates to JavaScript is the engine's job; template source is trusted code.
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      return new Function("_tt_str", "_tt_fail", "_tt_modulesOf", source) as Factory;
    } catch (error) {
      throw this.#locateSyntaxError(error);
    }
  }

  #executorFor(keys: readonly string[]): Execute {
    const reserved = keys.find((key) => key.startsWith("_tt_"));
    if (reserved !== undefined) {
      throw new TyphoonError("TYPHOON_ERR_TEMPLATE_RESERVED_NAME", `namespace name ${reserved} is reserved: names starting with _tt_ belong to the template engine`);
    }
    const factory = this.#compileFactory(keys);
    const locations = this.#generated.locations;
    const rootName = this.name;
    const fail = (error: unknown, location: number): unknown =>
      new TemplateRenderError(locations[location] ?? `${rootName}:0`, error);
    return factory(toText, fail, modulesOf);
  }

  /** Finds which directive holds the JavaScript that does not compile; Tornado logs the generated code instead. */
  #locateSyntaxError(error: unknown): Error {
    for (const check of this.#generated.checks) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        new Function(`"use strict";\n${check.program}`);
      } catch (checkError) {
        const message = checkError instanceof Error ? checkError.message : String(checkError);
        return new ParseError(`invalid JavaScript in ${check.what}: ${message}`, check.file, check.line, { cause: checkError });
      }
    }
    const message = error instanceof Error ? error.message : String(error);
    return new ParseError(`the compiled template is not valid JavaScript: ${message}`, this.name, 0, { cause: error });
  }
}

/**
 * Base class of template loaders: resolves names, caches compiled templates, and gives
 * them a shared autoescape setting, namespace and whitespace mode. Subclasses implement
 * {@link BaseLoader.resolvePath} and {@link BaseLoader.createTemplate}. Tornado: `BaseLoader`.
 */
export abstract class BaseLoader implements TemplateLoaderLike {
  /** Default autoescape function name of the templates loaded (`null`: no escaping). */
  readonly autoescape: string | null;
  /** Values merged into every render of the templates loaded. */
  readonly namespace: TemplateNamespace;
  /** Whitespace mode of every template loaded, or `undefined` for the default by extension. */
  readonly whitespace: WhitespaceMode | undefined;
  #templates = new Map<string, Template>();

  constructor(options: LoaderOptions = {}) {
    this.autoescape = options.autoescape !== undefined ? options.autoescape : "xhtmlEscape";
    this.namespace = options.namespace ?? {};
    if (options.whitespace !== undefined && !isWhitespaceMode(options.whitespace)) {
      throw new TyphoonError("TYPHOON_ERR_TEMPLATE_WHITESPACE", `invalid whitespace mode ${String(options.whitespace)}: use "all", "single" or "oneline"`);
    }
    this.whitespace = options.whitespace;
  }

  /** Forgets the compiled templates, so the next `load()` reads and compiles them again. */
  reset(): void {
    this.#templates = new Map();
  }

  /**
   * Turns a name, possibly relative to the template `parentPath` that references it, into
   * the key the template is cached and created under. Override this to change how names resolve.
   */
  abstract resolvePath(name: string, parentPath?: string): string;

  /** Reads and compiles the template `name` (already resolved). Override this to load from elsewhere. */
  abstract createTemplate(name: string): Template;

  /** Loads a template by name (relative to `parentPath` when given), compiling it on first use. */
  load(name: string, parentPath?: string): Template {
    const resolved = this.resolvePath(name, parentPath);
    let template = this.#templates.get(resolved);
    if (template === undefined) {
      template = this.createTemplate(resolved);
      this.#templates.set(resolved, template);
    }
    return template;
  }
}
