// Ports tornado.template's _TemplateReader and _parse: template source → a small tree of nodes.

import { TyphoonError } from "../util/errors.js";

/**
 * How text between directives is treated (Tornado's `filter_whitespace` modes):
 * `all` keeps it unchanged, `single` collapses each run of whitespace to one character
 * (a newline when the run contains one), `oneline` collapses each run to one space.
 */
export type WhitespaceMode = "all" | "single" | "oneline";

// Python's str \s (JavaScript's \s also matches U+FEFF and misses U+001C–U+001F and U+0085).
const PY_SPACE = String.raw`\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;
const SPACE_RUN_RE = new RegExp(`[${PY_SPACE}]+`, "g");
const TABS_AND_SPACES_RE = /[\t ]+/g;
const AROUND_NEWLINE_RE = new RegExp(`[${PY_SPACE}]*\\n[${PY_SPACE}]*`, "g");

/** True when `mode` is one of the whitespace modes. */
export function isWhitespaceMode(mode: unknown): mode is WhitespaceMode {
  return mode === "all" || mode === "single" || mode === "oneline";
}

/**
 * Transforms whitespace in `text` according to `mode` (see {@link WhitespaceMode}).
 * Tornado: `tornado.template.filter_whitespace`.
 *
 * @example filterWhitespace("single", "a   \n\n  b") // "a\nb"
 */
export function filterWhitespace(mode: WhitespaceMode, text: string): string {
  switch (mode) {
    case "all":
      return text;
    case "single":
      return text.replace(TABS_AND_SPACES_RE, " ").replace(AROUND_NEWLINE_RE, "\n");
    case "oneline":
      return text.replace(SPACE_RUN_RE, " ");
    default:
      throw new TyphoonError(
        "TYPHOON_ERR_TEMPLATE_WHITESPACE",
        `invalid whitespace mode ${String(mode)}: use "all", "single" or "oneline"`,
      );
  }
}

/**
 * A template syntax error. The message names the template and line, as Tornado's:
 * `Missing {% end %} block for if at foo.html:3`; `filename` and `lineno` carry them apart.
 * Also thrown for JavaScript syntax errors inside directives, for `{% import %}`, and for
 * cyclic `{% extends %}` / `{% include %}` chains.
 */
export class ParseError extends TyphoonError {
  /** The template's name, e.g. `foo.html`, when known. */
  readonly filename: string | undefined;
  /** The 1-based line of the template where the error was found (0 when unknown). */
  readonly lineno: number;
  /** The message without its location. */
  readonly reason: string;

  constructor(reason: string, filename?: string, lineno = 0, options?: ErrorOptions) {
    super("TYPHOON_ERR_TEMPLATE_PARSE", filename === undefined ? reason : `${reason} at ${filename}:${lineno}`, options);
    this.reason = reason;
    this.filename = filename;
    this.lineno = lineno;
  }
}

/** A parsed template file: its nodes, plus the settings its directives chose. */
export interface ParsedFile {
  readonly name: string;
  /** The autoescape function for `{{ }}` in this file; the last `{% autoescape %}` wins, as in Tornado. */
  autoescape: string | null;
  body: Node[];
}

export interface TextNode {
  readonly kind: "text";
  readonly value: string;
  readonly line: number;
}
export interface ExpressionNode {
  readonly kind: "expression";
  readonly code: string;
  readonly line: number;
  readonly raw: boolean;
}
/** `{% module Foo(args) %}`: `code` is `Foo(args)`, called on the namespace's `modules`. */
export interface ModuleNode {
  readonly kind: "module";
  readonly code: string;
  readonly line: number;
}
export interface SetNode {
  readonly kind: "set";
  readonly code: string;
  readonly line: number;
}
export interface JumpNode {
  readonly kind: "break" | "continue";
  readonly line: number;
  readonly loop: LoopNode;
}
export interface IfBranch {
  /** `null` for the `else` branch. */
  readonly condition: string | null;
  readonly line: number;
  body: Node[];
}
export interface IfNode {
  readonly kind: "if";
  readonly branches: IfBranch[];
}
export interface ForNode {
  readonly kind: "for";
  /** The loop variable as a JavaScript binding: `x`, `[k, v]` or a destructuring pattern. */
  readonly target: string;
  readonly iterable: string;
  readonly line: number;
  body: Node[];
  elseBody: Node[] | null;
}
export interface WhileNode {
  readonly kind: "while";
  readonly condition: string;
  readonly line: number;
  body: Node[];
  elseBody: Node[] | null;
}
export type LoopNode = ForNode | WhileNode;
export interface TryNode {
  readonly kind: "try";
  readonly line: number;
  body: Node[];
  handler: { readonly variable: string | null; readonly line: number; body: Node[] } | null;
  elseBody: Node[] | null;
  finallyBody: Node[] | null;
}
export interface ApplyNode {
  readonly kind: "apply";
  readonly fn: string;
  readonly line: number;
  readonly body: Node[];
}
export interface BlockNode {
  readonly kind: "block";
  readonly name: string;
  readonly line: number;
  readonly body: Node[];
  /** The file the block is written in (its autoescape and name apply inside it). */
  readonly file: ParsedFile;
}
export interface ExtendsNode {
  readonly kind: "extends";
  readonly name: string;
  readonly line: number;
}
export interface IncludeNode {
  readonly kind: "include";
  readonly name: string;
  readonly line: number;
}
export type Node =
  | TextNode
  | ExpressionNode
  | ModuleNode
  | SetNode
  | JumpNode
  | IfNode
  | ForNode
  | WhileNode
  | TryNode
  | ApplyNode
  | BlockNode
  | ExtendsNode
  | IncludeNode;

/** The source text with a cursor, counting lines as it consumes. Tornado: `_TemplateReader`. */
class TemplateReader {
  readonly name: string;
  readonly text: string;
  whitespace: WhitespaceMode;
  line = 1;
  pos = 0;

  constructor(name: string, text: string, whitespace: WhitespaceMode) {
    this.name = name;
    this.text = text;
    this.whitespace = whitespace;
  }

  /** Index of `needle` relative to the cursor, searching from `start` (relative), or -1. */
  find(needle: string, start = 0): number {
    const index = this.text.indexOf(needle, this.pos + start);
    return index === -1 ? -1 : index - this.pos;
  }

  consume(count = this.text.length - this.pos): string {
    const end = this.pos + count;
    for (let i = this.text.indexOf("\n", this.pos); i !== -1 && i < end; i = this.text.indexOf("\n", i + 1)) {
      this.line++;
    }
    const consumed = this.text.slice(this.pos, end);
    this.pos = end;
    return consumed;
  }

  remaining(): number {
    return this.text.length - this.pos;
  }

  charAt(offset: number): string {
    return this.text.charAt(this.pos + offset);
  }

  fail(reason: string, line = this.line): never {
    throw new ParseError(reason, this.name, line);
  }
}

/**
 * The loop a `{% break %}` / `{% continue %}` belongs to: a loop, none (`null`), or
 * {@link LOOP_ELSE}, the else clause of a loop that no other loop encloses.
 */
type LoopContext = LoopNode | null | typeof LOOP_ELSE;
const LOOP_ELSE = Symbol("loop else");

/** How an inner section of a block directive ended: `{% end %}` or an intermediate directive. */
interface SectionEnd {
  readonly operator: "end" | "else" | "elif" | "except" | "finally";
  readonly suffix: string;
  /** The line the directive starts on: where its code runs. */
  readonly line: number;
  /** The line the directive ends on: where Tornado reports errors about it. */
  readonly errorLine: number;
}

interface Section {
  readonly body: Node[];
  readonly end: SectionEnd | null;
}

const INTERMEDIATE_PARENTS: Readonly<Record<string, readonly string[]>> = {
  else: ["if", "for", "while", "try"],
  elif: ["if"],
  except: ["try"],
  finally: ["try"],
};

const IDENTIFIER_RE = /^[A-Za-z_$][\w$]*$/;

// Python's repr of a set of strings, as Tornado's messages print it.
function pySet(names: readonly string[]): string {
  return `{${names.map((name) => `'${name}'`).join(", ")}}`;
}

// Python's repr of a string, as Tornado's "unknown operator: %r" prints it.
function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let body = "";
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === "\\" || char === quote) body += `\\${char}`;
    else if (char === "\n") body += "\\n";
    else if (char === "\r") body += "\\r";
    else if (char === "\t") body += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) body += `\\x${code.toString(16).padStart(2, "0")}`;
    else body += char;
  }
  return quote + body + quote;
}

function stripQuotes(value: string): string {
  return value.replace(/^"+|"+$/g, "").replace(/^'+|'+$/g, "");
}

/**
 * Parses one template's source into a {@link ParsedFile}.
 * `name` appears in error messages; `whitespace` is the mode text starts in.
 */
export function parseTemplate(
  source: string,
  name: string,
  whitespace: WhitespaceMode,
  autoescape: string | null,
): ParsedFile {
  const reader = new TemplateReader(name, source, whitespace);
  const file: ParsedFile = { name, autoescape, body: [] };
  const parser = new Parser(reader, file);
  file.body = parser.parseSection(null, null, 0).body;
  parser.throwDeferred();
  return file;
}

/**
 * Tornado's parser (`_parse`) raises a `ParseError` at the line where each directive ends, and
 * leaves many mistakes (a try without except, a for without `in`, two elses...) to Python's
 * compiler. Typhoon reports the errors Tornado reports, with the same message and line, the
 * moment it meets them; its own checks for the mistakes Python would catch are deferred to the
 * end of the file, so that a template with several mistakes reports the one Tornado reports.
 */
class Parser {
  readonly #reader: TemplateReader;
  readonly #file: ParsedFile;
  #sawExtends = false;
  #deferred: ParseError | undefined;

  constructor(reader: TemplateReader, file: ParsedFile) {
    this.#reader = reader;
    this.#file = file;
  }

  /** Throws the first of Typhoon's own errors found in the file, if any. */
  throwDeferred(): void {
    if (this.#deferred !== undefined) throw this.#deferred;
  }

  /** Records one of Typhoon's own errors (the first one wins) and lets parsing go on. */
  #defer(reason: string, line = this.#reader.line): void {
    this.#deferred ??= new ParseError(reason, this.#reader.name, line);
  }

  /**
   * Parses until EOF (top level) or until `{% end %}` / an intermediate directive of the
   * enclosing block `inBlock`. `depth` is 0 only at the top level of the file.
   */
  parseSection(inBlock: string | null, inLoop: LoopContext, depth: number): Section {
    const reader: TemplateReader = this.#reader;
    const body: Node[] = [];
    for (;;) {
      // Find the next directive.
      let curly = 0;
      for (;;) {
        curly = reader.find("{", curly);
        if (curly === -1 || curly + 1 === reader.remaining()) {
          if (inBlock !== null) reader.fail(`Missing {% end %} block for ${inBlock}`);
          this.#pushText(body, reader.consume());
          return { body, end: null };
        }
        const next = reader.charAt(curly + 1);
        if (next !== "{" && next !== "%" && next !== "#") {
          curly++;
          continue;
        }
        // With more than two curlies in a row, use the innermost ones (LaTeX and the like).
        if (curly + 2 < reader.remaining() && next === "{" && reader.charAt(curly + 2) === "{") {
          curly++;
          continue;
        }
        break;
      }

      if (curly > 0) this.#pushText(body, reader.consume(curly));
      const startBrace = reader.consume(2);
      const line = reader.line;

      // "{{!", "{%!" and "{#!" output the braces literally.
      if (reader.remaining() > 0 && reader.charAt(0) === "!") {
        reader.consume(1);
        this.#pushText(body, startBrace);
        continue;
      }

      if (startBrace === "{#") {
        const end = reader.find("#}");
        if (end === -1) reader.fail("Missing end comment #}");
        reader.consume(end + 2);
        continue;
      }

      if (startBrace === "{{") {
        const end = reader.find("}}");
        if (end === -1) reader.fail("Missing end expression }}");
        const contents = reader.consume(end).trim();
        reader.consume(2);
        if (!contents) reader.fail("Empty expression");
        body.push({ kind: "expression", code: contents, line, raw: false });
        continue;
      }

      const end = reader.find("%}");
      if (end === -1) reader.fail("Missing end block %}");
      const contents = reader.consume(end).trim();
      reader.consume(2);
      if (!contents) reader.fail("Empty block tag ({% %})");

      // As Tornado: the operator ends at the first space (a tab or newline does not end it).
      const space = contents.indexOf(" ");
      const operator = space === -1 ? contents : contents.slice(0, space);
      const suffix = space === -1 ? "" : contents.slice(space + 1).trim();

      const allowedParents = INTERMEDIATE_PARENTS[operator];
      if (allowedParents !== undefined) {
        if (inBlock === null) reader.fail(`${operator} outside ${pySet(allowedParents)} block`);
        if (!allowedParents.includes(inBlock)) reader.fail(`${operator} block cannot be attached to ${inBlock} block`);
        return { body, end: { operator: operator as SectionEnd["operator"], suffix, line, errorLine: reader.line } };
      }
      if (operator === "end") {
        if (inBlock === null) reader.fail("Extra {% end %} block");
        return { body, end: { operator: "end", suffix, line, errorLine: reader.line } };
      }
      const node = this.#parseDirective(operator, suffix, line, inLoop, depth);
      if (node !== null) body.push(node);
    }
  }

  #pushText(body: Node[], text: string): void {
    // A crude heuristic, as Tornado's, to leave preformatted text alone.
    const value = text.includes("<pre>") ? text : filterWhitespace(this.#reader.whitespace, text);
    if (value) body.push({ kind: "text", value, line: this.#reader.line });
  }

  // Called right after the directive's "%}": the reader's line is where the directive ends.
  #parseDirective(operator: string, suffix: string, line: number, inLoop: LoopContext, depth: number): Node | null {
    const reader: TemplateReader = this.#reader;
    switch (operator) {
      case "comment":
        return null;
      case "extends": {
        const name = stripQuotes(suffix);
        if (!name) reader.fail("extends missing file path");
        // Tornado silently ignores an extends nested in another block; Typhoon says so.
        if (depth > 0) this.#defer("{% extends %} must be at the top level of the template, outside any block");
        else if (this.#sawExtends) this.#defer("only one {% extends %} is allowed per template");
        this.#sawExtends = true;
        return { kind: "extends", name, line };
      }
      case "import":
      case "from":
        if (!suffix) reader.fail("import missing statement");
        this.#defer(
          `{% ${operator} %} is not supported: template expressions are JavaScript; ` +
            `pass the functions you need in the namespace (Loader's namespace option or generate()'s argument)`,
        );
        return null;
      case "include": {
        const name = stripQuotes(suffix);
        if (!name) reader.fail("include missing file path");
        return { kind: "include", name, line };
      }
      case "set":
        if (!suffix) reader.fail("set missing statement");
        return { kind: "set", code: suffix, line };
      case "autoescape":
        if (suffix === "None") this.#defer("use {% autoescape null %} to turn autoescaping off (expressions are JavaScript)");
        else if (!suffix) this.#defer("autoescape missing function name (or null)");
        this.#file.autoescape = suffix === "null" || suffix === "None" || !suffix ? null : suffix;
        return null;
      case "whitespace":
        // Tornado raises here too (a bare Exception, without the line).
        if (!isWhitespaceMode(suffix)) reader.fail(`invalid whitespace mode ${suffix}`);
        reader.whitespace = suffix;
        return null;
      case "raw":
        if (!suffix) this.#defer("raw missing expression");
        return { kind: "expression", code: suffix, line, raw: true };
      case "module":
        if (!suffix) this.#defer("module missing expression");
        return { kind: "module", code: suffix, line };
      case "break":
      case "continue":
        if (inLoop === null) reader.fail(`${operator} outside ${pySet(["for", "while"])} block`);
        if (inLoop === LOOP_ELSE) {
          // Tornado accepts it and leaves it to Python's compiler ("'break' outside loop").
          this.#defer(`${operator} in the {% else %} of a loop leaves the enclosing loop, and there is none`);
          return null;
        }
        return { kind: operator, line, loop: inLoop };
      case "apply": {
        // apply compiles to a nested function, so break/continue cannot reach an outer loop.
        const { body } = this.#parseUntilEnd(operator, null, depth);
        // As Tornado: checked after the body, at the line the parser has reached.
        if (!suffix) reader.fail("apply missing method name");
        return { kind: "apply", fn: suffix, line, body };
      }
      case "block": {
        const { body } = this.#parseUntilEnd(operator, inLoop, depth);
        if (!suffix) reader.fail("block missing name");
        return { kind: "block", name: suffix, line, body, file: this.#file };
      }
      case "if":
        return this.#parseIf(suffix, line, inLoop, depth);
      case "for":
      case "while":
        return this.#parseLoop(operator, suffix, line, inLoop, depth);
      case "try":
        return this.#parseTry(suffix, line, inLoop, depth);
      default:
        return reader.fail(`unknown operator: ${pyRepr(operator)}`);
    }
  }

  // parseSection refuses intermediate directives inside "block" and "apply", so their
  // sections always end with {% end %}.
  #parseUntilEnd(operator: string, inLoop: LoopContext, depth: number): Section {
    return this.parseSection(operator, inLoop, depth + 1);
  }

  #parseIf(condition: string, line: number, inLoop: LoopContext, depth: number): IfNode {
    if (!condition) this.#defer("if missing condition");
    const node: IfNode = { kind: "if", branches: [] };
    let branch: IfBranch = { condition, line, body: [] };
    let sawElse = false;
    for (;;) {
      node.branches.push(branch);
      const { body, end } = this.parseSection("if", inLoop, depth + 1);
      branch.body = body;
      if (end === null || end.operator === "end") return node;
      if (sawElse) this.#defer(`${end.operator} after else in if block`, end.errorLine);
      if (end.operator === "elif") {
        if (!end.suffix) this.#defer("elif missing condition", end.errorLine);
        branch = { condition: end.suffix, line: end.line, body: [] };
      } else {
        this.#noSuffix(end);
        sawElse = true;
        branch = { condition: null, line: end.line, body: [] };
      }
    }
  }

  #parseLoop(operator: "for" | "while", header: string, line: number, outerLoop: LoopContext, depth: number): LoopNode {
    let node: LoopNode;
    if (operator === "while") {
      if (!header) this.#defer("while missing condition");
      node = { kind: "while", condition: header, line, body: [], elseBody: null };
    } else {
      const match = /^([^]+?)\s+in\s+([^]+)$/.exec(header);
      if (match === null) {
        const hint = /\sof\s/.test(header) ? " (the keyword is Tornado's `in`, not `of`)" : "";
        this.#defer(`for loop must look like {% for x in items %}${hint}`);
      }
      const target = match === null ? "_" : this.#loopTarget(match[1]!.trim());
      const iterable = match === null ? header : match[2]!.trim();
      node = { kind: "for", target, iterable, line, body: [], elseBody: null };
    }
    const first = this.parseSection(operator, node, depth + 1);
    node.body = first.body;
    if (first.end === null || first.end.operator === "end") return node;
    this.#noSuffix(first.end);
    // Inside a loop's else clause, break and continue belong to the enclosing loop, as in Python.
    const elseLoop = outerLoop ?? LOOP_ELSE;
    let section = this.parseSection(operator, elseLoop, depth + 1);
    node.elseBody = section.body;
    while (section.end !== null && section.end.operator !== "end") {
      this.#defer(`${section.end.operator} after else in ${operator} block`, section.end.errorLine);
      section = this.parseSection(operator, elseLoop, depth + 1);
    }
    return node;
  }

  #loopTarget(target: string): string {
    if (target.startsWith("[") || target.startsWith("{")) return target;
    const unwrapped = target.startsWith("(") && target.endsWith(")") ? target.slice(1, -1) : target;
    const names = unwrapped.split(",").map((name) => name.trim());
    if (names.length > 1 && names[names.length - 1] === "") names.pop();
    for (const name of names) {
      if (!IDENTIFIER_RE.test(name)) {
        this.#defer(`for loop variable must be a name, names separated by commas or a destructuring pattern, not '${target}'`);
      } else if (name.startsWith("_tt_")) {
        this.#defer(`names starting with _tt_ are reserved: '${name}'`);
      }
    }
    return names.length === 1 && !unwrapped.includes(",") ? names[0]! : `[${names.join(", ")}]`;
  }

  #parseTry(suffix: string, line: number, inLoop: LoopContext, depth: number): TryNode {
    const directiveLine = this.#reader.line;
    if (suffix) this.#defer("try takes no argument");
    const node: TryNode = { kind: "try", line, body: [], handler: null, elseBody: null, finallyBody: null };
    let section = this.parseSection("try", inLoop, depth + 1);
    node.body = section.body;
    let stage: "try" | "except" | "else" | "finally" = "try";
    const order = ["try", "except", "else", "finally"];
    for (;;) {
      const end = section.end;
      if (end === null || end.operator === "end") break;
      const next = end.operator as "except" | "else" | "finally";
      if (order.indexOf(next) <= order.indexOf(stage)) {
        this.#defer(
          next === "except" && stage === "except"
            ? "only one except per try: JavaScript catches every error; test the error inside {% except e %}"
            : `${next} after ${stage} in try block`,
          end.errorLine,
        );
      } else if (next === "else" && stage !== "except") {
        this.#defer("else in a try block needs an except before it", end.errorLine);
      }
      section = this.parseSection("try", inLoop, depth + 1);
      if (next === "except") {
        if (end.suffix && !IDENTIFIER_RE.test(end.suffix)) {
          this.#defer(
            `except takes an optional variable name, e.g. {% except e %}, not '${end.suffix}': JavaScript catches every error`,
            end.errorLine,
          );
        }
        node.handler = { variable: end.suffix || null, line: end.line, body: section.body };
      } else if (next === "else") {
        this.#noSuffix(end);
        node.elseBody = section.body;
      } else {
        this.#noSuffix(end);
        node.finallyBody = section.body;
      }
      stage = next;
    }
    if (node.handler === null && node.finallyBody === null) this.#defer("try block needs an except or a finally", directiveLine);
    return node;
  }

  #noSuffix(end: SectionEnd): void {
    if (!end.suffix) return;
    this.#defer(
      end.operator === "else" ? "else takes no condition (use {% elif condition %})" : `${end.operator} takes no argument`,
      end.errorLine,
    );
  }
}
