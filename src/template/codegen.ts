// Ports tornado.template's _CodeWriter and the nodes' generate(): a parsed template tree → JavaScript source.

import { ParseError, type BlockNode, type LoopNode, type Node, type ParsedFile } from "./parser.js";

/** What the code generator needs from the template being compiled. */
export interface CodegenInput {
  /** The inheritance chain, root-most ancestor first, the compiled template last. */
  readonly ancestors: readonly ParsedFile[];
  /** Loads the file named by `{% include %}` (relative to `from`), parsed. */
  loadIncluded(name: string, from: ParsedFile, line: number): ParsedFile;
}

/** A piece of template JavaScript, kept to point at the culprit when the whole function does not compile. */
export interface SyntaxCheck {
  /** A small strict-mode program that compiles exactly when the template's code does. */
  readonly program: string;
  readonly file: string;
  readonly line: number;
  /** What the code is, for the error message: "{{ }} expression", "{% if %} condition", ... */
  readonly what: string;
}

/** The generated function body and the tables it refers to. */
export interface GeneratedCode {
  /** Statements appending to `_tt_buf`, setting `_tt_loc` before anything that can throw. */
  readonly body: string;
  /** `_tt_loc` value → template location, as Tornado's line comments: `sub.html:4 (via base.html:1)`. */
  readonly locations: readonly string[];
  /** Names assigned by `{% set name = ... %}`, to declare in the function. */
  readonly setTargets: readonly string[];
  readonly checks: readonly SyntaxCheck[];
}

const SIMPLE_SET_RE = /^([A-Za-z_$][\w$]*)\s*=(?![=>])/;
const ARRAY_SET_RE = /^\[([\w$\s,]+)\]\s*=(?![=>])/;

/** Collects the `{% block %}` definitions visible from `file`, the later ones replacing the earlier. */
function findNamedBlocks(nodes: readonly Node[], from: ParsedFile, input: CodegenInput, blocks: Map<string, BlockNode>): void {
  for (const node of nodes) {
    switch (node.kind) {
      case "block":
        blocks.set(node.name, node);
        findNamedBlocks(node.body, from, input, blocks);
        break;
      case "include": {
        const included = input.loadIncluded(node.name, from, node.line);
        findNamedBlocks(included.body, included, input, blocks);
        break;
      }
      case "if":
        for (const branch of node.branches) findNamedBlocks(branch.body, from, input, blocks);
        break;
      case "for":
      case "while":
        findNamedBlocks(node.body, from, input, blocks);
        if (node.elseBody) findNamedBlocks(node.elseBody, from, input, blocks);
        break;
      case "try":
        findNamedBlocks(node.body, from, input, blocks);
        if (node.handler) findNamedBlocks(node.handler.body, from, input, blocks);
        if (node.elseBody) findNamedBlocks(node.elseBody, from, input, blocks);
        if (node.finallyBody) findNamedBlocks(node.finallyBody, from, input, blocks);
        break;
      case "apply":
        findNamedBlocks(node.body, from, input, blocks);
        break;
      default:
        break;
    }
  }
}

/** Generates the JavaScript for a template and its ancestors. Tornado: `Template._generate_python`. */
export function generateCode(input: CodegenInput): GeneratedCode {
  const blocks = new Map<string, BlockNode>();
  for (const file of input.ancestors) findNamedBlocks(file.body, file, input, blocks);
  const root = input.ancestors[0]!;
  const writer = new CodeWriter(input, blocks, root);
  writer.generateNodes(root.body);
  return writer.result();
}

class CodeWriter {
  readonly #input: CodegenInput;
  readonly #blocks: Map<string, BlockNode>;
  #current: ParsedFile;
  readonly #includeStack: { file: ParsedFile; line: number }[] = [];
  readonly #lines: string[] = [];
  #indent = 1;
  readonly #locations: string[] = [];
  readonly #locationIndex = new Map<string, number>();
  readonly #setTargets = new Set<string>();
  readonly #checks: SyntaxCheck[] = [];
  /** The loops being generated → the label a break uses ("" for a plain break). */
  readonly #loopLabels = new Map<LoopNode, string>();
  #counter = 0;

  constructor(input: CodegenInput, blocks: Map<string, BlockNode>, root: ParsedFile) {
    this.#input = input;
    this.#blocks = blocks;
    this.#current = root;
  }

  result(): GeneratedCode {
    return {
      body: this.#lines.join("\n"),
      locations: this.#locations,
      setTargets: [...this.#setTargets],
      checks: this.#checks,
    };
  }

  #write(code: string): void {
    this.#lines.push("  ".repeat(this.#indent) + code);
  }

  /** The `_tt_loc` index of `line` in the current file, registering it (with the include chain) on first use. */
  #location(line: number): number {
    let location = `${this.#current.name}:${line}`;
    if (this.#includeStack.length > 0) {
      const via = this.#includeStack.map(({ file, line: at }) => `${file.name}:${at}`).reverse();
      location += ` (via ${via.join(", ")})`;
    }
    let index = this.#locationIndex.get(location);
    if (index === undefined) {
      index = this.#locations.push(location) - 1;
      this.#locationIndex.set(location, index);
    }
    return index;
  }

  #check(program: string, line: number, what: string): void {
    this.#checks.push({ program, file: this.#current.name, line, what });
  }

  #label(prefix: string): string {
    return `_tt_${prefix}${this.#counter++}`;
  }

  #withFile<T>(file: ParsedFile, line: number, fn: () => T): T {
    this.#includeStack.push({ file: this.#current, line });
    this.#current = file;
    try {
      return fn();
    } finally {
      this.#current = this.#includeStack.pop()!.file;
    }
  }

  #block(open: string, body: () => void, close = "}"): void {
    this.#write(open);
    this.#indent++;
    body();
    this.#indent--;
    this.#write(close);
  }

  generateNodes(nodes: readonly Node[]): void {
    for (const node of nodes) this.#generate(node);
  }

  #generate(node: Node): void {
    switch (node.kind) {
      case "text":
        this.#write(`_tt_buf += ${JSON.stringify(node.value)};`);
        return;
      case "expression": {
        const escape = node.raw ? null : this.#current.autoescape;
        this.#check(`(${node.code}\n);`, node.line, node.raw ? "{% raw %} expression" : "{{ }} expression");
        const value = `_tt_str((${node.code}\n))`;
        if (escape === null) {
          this.#write(`_tt_loc = ${this.#location(node.line)}; _tt_buf += ${value};`);
        } else {
          this.#check(`(${escape}\n)("");`, node.line, `autoescape function of ${this.#current.name}`);
          this.#write(`_tt_loc = ${this.#location(node.line)}; _tt_buf += _tt_str((${escape}\n)(${value}));`);
        }
        return;
      }
      case "module":
        this.#check(`_tt_modules.${node.code}\n;`, node.line, "{% module %} call");
        this.#write(`_tt_loc = ${this.#location(node.line)}; _tt_buf += _tt_str(_tt_modulesOf(_tt_ns).${node.code}\n);`);
        return;
      case "set":
        this.#generateSet(node.code, node.line);
        return;
      case "break":
      case "continue": {
        const label = this.#loopLabels.get(node.loop);
        if (label === undefined) {
          // Possible only when a file defines a block twice, once inside a loop and once outside.
          throw new ParseError(
            `${node.kind} outside its loop: the {% block %} holding it is rendered outside the loop`,
            this.#current.name,
            node.line,
          );
        }
        this.#write(node.kind === "continue" || label === "" ? `${node.kind};` : `break ${label};`);
        return;
      }
      case "if":
        node.branches.forEach((branch, i) => {
          let open: string;
          if (branch.condition === null) {
            open = "} else {";
          } else {
            this.#check(`if ((${branch.condition}\n)) {}`, branch.line, `{% ${i === 0 ? "if" : "elif"} %} condition`);
            const test = `(_tt_loc = ${this.#location(branch.line)}, (${branch.condition}\n))`;
            open = i === 0 ? `if (${test}) {` : `} else if (${test}) {`;
          }
          this.#write(open);
          this.#indent++;
          this.generateNodes(branch.body);
          this.#indent--;
        });
        this.#write("}");
        return;
      case "for":
      case "while":
        this.#generateLoop(node);
        return;
      case "try":
        this.#generateTry(node);
        return;
      case "apply": {
        // A nested function with its own buffer, as Tornado's _tt_applyN.
        const result = this.#label("apply");
        this.#block(`const ${result} = (() => {`, () => {
          this.#write('let _tt_buf = "";');
          this.generateNodes(node.body);
          this.#write("return _tt_buf;");
        }, "})();");
        this.#check(`(${node.fn}\n)("");`, node.line, "{% apply %} function");
        this.#write(`_tt_loc = ${this.#location(node.line)}; _tt_buf += _tt_str((${node.fn}\n)(${result}));`);
        return;
      }
      case "block": {
        const block = this.#blocks.get(node.name)!;
        this.#withFile(block.file, node.line, () => this.generateNodes(block.body));
        return;
      }
      case "include": {
        const included = this.#input.loadIncluded(node.name, this.#current, node.line);
        this.#withFile(included, node.line, () => this.generateNodes(included.body));
        return;
      }
      case "extends":
        return;
    }
  }

  #generateSet(code: string, line: number): void {
    const simple = SIMPLE_SET_RE.exec(code);
    const names = simple ? [simple[1]!] : (ARRAY_SET_RE.exec(code)?.[1]?.split(",").map((name) => name.trim()) ?? []);
    for (const name of names) {
      if (name.startsWith("_tt_")) throw new ParseError(`names starting with _tt_ are reserved: '${name}'`, this.#current.name, line);
      this.#setTargets.add(name);
    }
    const declare = names.length > 0 ? `let ${names.join(", ")}; ` : "";
    this.#check(`${declare}${code}\n;`, line, "{% set %} statement");
    this.#write(`_tt_loc = ${this.#location(line)}; ${code}\n;`);
  }

  #generateLoop(node: LoopNode): void {
    // A loop with an else clause sits in a labelled block; break leaves the block, skipping the else.
    const label = node.elseBody ? this.#label("loop") : undefined;
    const emit = (): void => {
      let open: string;
      if (node.kind === "for") {
        this.#check(`for (let ${node.target} of (${node.iterable}\n)) {}`, node.line, "{% for %} header");
        open = `_tt_loc = ${this.#location(node.line)}; for (let ${node.target} of (${node.iterable}\n)) {`;
      } else {
        this.#check(`while ((${node.condition}\n)) {}`, node.line, "{% while %} condition");
        open = `while ((_tt_loc = ${this.#location(node.line)}, (${node.condition}\n))) {`;
      }
      this.#loopLabels.set(node, label ?? "");
      try {
        this.#block(open, () => this.generateNodes(node.body));
      } finally {
        this.#loopLabels.delete(node);
      }
      if (node.elseBody) this.generateNodes(node.elseBody);
    };
    if (label === undefined) emit();
    else this.#block(`${label}: {`, emit);
  }

  #generateTry(node: Extract<Node, { kind: "try" }>): void {
    const ok = node.elseBody ? this.#label("ok") : undefined;
    const inner = (): void => {
      if (ok !== undefined) this.#write(`let ${ok} = false;`);
      const body = (): void => {
        this.generateNodes(node.body);
        if (ok !== undefined) this.#write(`${ok} = true;`);
      };
      const handler = node.handler;
      if (handler === null) {
        body();
      } else {
        let catchClause = "} catch {";
        if (handler.variable !== null) {
          this.#check(`try {} catch (${handler.variable}) {}`, handler.line, "{% except %} variable");
          catchClause = `} catch (${handler.variable}) {`;
        }
        this.#write("try {");
        this.#indent++;
        body();
        this.#indent--;
        this.#block(catchClause, () => this.generateNodes(handler.body));
      }
      if (ok !== undefined && node.elseBody) {
        const elseBody = node.elseBody;
        this.#block(`if (${ok}) {`, () => this.generateNodes(elseBody));
      }
    };
    const finallyBody = node.finallyBody;
    if (finallyBody === null) {
      this.#block("{", inner);
      return;
    }
    this.#write("try {");
    this.#indent++;
    inner();
    this.#indent--;
    this.#block("} finally {", () => this.generateNodes(finallyBody));
  }
}
