// Ports tornado.template.Loader and DictLoader: templates from a root directory or from a dictionary.

import { readFileSync } from "node:fs";
import path from "node:path";
import { TemplateNotFoundError, TemplatePathError } from "./errors.js";
import { BaseLoader, Template, type LoaderOptions } from "./template.js";

/**
 * Loads templates from a root directory; names are paths relative to it, and relative to the
 * referencing template for `{% extends %}` / `{% include %}`. A name that resolves outside the
 * root throws {@link TemplatePathError} (**beyond** Tornado, which follows `..` and absolute paths).
 * Files are read as UTF-8 and compiled once, until {@link BaseLoader.reset}.
 *
 * @example
 * const loader = new Loader("templates");
 * loader.load("index.html").generate({ title: "Home" });
 */
export class Loader extends BaseLoader {
  /** The absolute root directory. */
  readonly root: string;

  constructor(rootDirectory: string, options: LoaderOptions = {}) {
    super(options);
    this.root = path.resolve(rootDirectory);
  }

  /** Resolves `name` (relative to `parentPath`'s directory when given) to a path relative to the root, with `/` separators. */
  override resolvePath(name: string, parentPath?: string): string {
    if (name.includes("\0")) throw new TemplatePathError(name, this.root);
    let target: string;
    if (parentPath && !parentPath.startsWith("<") && !path.isAbsolute(parentPath) && !path.isAbsolute(name)) {
      target = path.resolve(this.root, path.dirname(parentPath), name);
    } else {
      target = path.resolve(this.root, name);
    }
    const relative = path.relative(this.root, target);
    if (relative === "" || relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
      throw new TemplatePathError(name, this.root);
    }
    return relative.split(path.sep).join("/");
  }

  /** Reads `root/name` and compiles it. */
  override createTemplate(name: string): Template {
    let source: Buffer;
    try {
      source = readFileSync(path.join(this.root, name));
    } catch (error) {
      throw new TemplateNotFoundError(name, this.root, { cause: error });
    }
    return new Template(source, { name, loader: this });
  }
}

/**
 * Loads templates from an object mapping names to sources; relative names resolve against
 * the referencing template's directory, as paths do. Tornado: `DictLoader`.
 *
 * @example
 * const loader = new DictLoader({ "base.html": "<b>{% block x %}{% end %}</b>", "page.html": '{% extends "base.html" %}{% block x %}hi{% end %}' });
 * loader.load("page.html").generate(); // "<b>hi</b>"
 */
export class DictLoader extends BaseLoader {
  readonly #templates: Readonly<Record<string, string>>;

  constructor(templates: Readonly<Record<string, string>>, options: LoaderOptions = {}) {
    super(options);
    this.#templates = templates;
  }

  override resolvePath(name: string, parentPath?: string): string {
    if (parentPath && !parentPath.startsWith("<") && !parentPath.startsWith("/") && !name.startsWith("/")) {
      return path.posix.normalize(path.posix.join(path.posix.dirname(parentPath), name));
    }
    return name;
  }

  override createTemplate(name: string): Template {
    if (!Object.hasOwn(this.#templates, name)) throw new TemplateNotFoundError(name, "the DictLoader's templates");
    return new Template(this.#templates[name]!, { name, loader: this });
  }
}
