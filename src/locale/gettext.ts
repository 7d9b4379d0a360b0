// Ports the parts of Python's gettext that tornado.locale uses: reading compiled .mo catalogs and their plural rules.

import { InvalidArgumentError } from "../util/errors.js";

/** A compiled gettext catalog: `gettext` and `ngettext` as Python's `GNUTranslations`. */
export interface GettextCatalog {
  /** The translation of `message`, or `message` itself. */
  gettext(message: string): string;
  /** The plural form of `singular` for `count` from the catalog's `Plural-Forms`, else English's rule. */
  ngettext(singular: string, plural: string, count: number): string;
}

const LE_MAGIC = 0x950412de;
const BE_MAGIC = 0xde120495;

/**
 * Parses a GNU `.mo` file (either byte order; strings in UTF-8, the default of `msgfmt`
 * and the only charset Typhoon reads).
 * @throws InvalidArgumentError for a file that is not a `.mo` catalog or is truncated.
 */
export function parseMoFile(data: Buffer): GettextCatalog {
  if (data.length < 20) throw badCatalog("it is too short to be a .mo file");
  const magic = data.readUInt32LE(0);
  const little = magic === LE_MAGIC;
  if (!little && magic !== BE_MAGIC) throw badCatalog("it does not start with the .mo magic number");
  const u32 = (offset: number): number => {
    if (offset + 4 > data.length) throw badCatalog("it is truncated");
    return little ? data.readUInt32LE(offset) : data.readUInt32BE(offset);
  };
  const count = u32(8);
  const originals = u32(12);
  const translations = u32(16);
  const text = (table: number, index: number): string => {
    const length = u32(table + index * 8);
    const offset = u32(table + index * 8 + 4);
    if (offset + length > data.length) throw badCatalog("a string points past the end of the file");
    return data.toString("utf8", offset, offset + length);
  };
  const singles = new Map<string, string>();
  const plurals = new Map<string, string[]>();
  let pluralRule: (n: number) => number = (n) => (n !== 1 ? 1 : 0);
  for (let i = 0; i < count; i++) {
    const original = text(originals, i);
    const translation = text(translations, i);
    if (original === "") {
      const rule = /^Plural-Forms:.*?plural=([^;\n]+)/im.exec(translation)?.[1];
      if (rule !== undefined) pluralRule = compilePluralRule(rule);
      continue;
    }
    const nul = original.indexOf("\0");
    if (nul < 0) singles.set(original, translation);
    else plurals.set(original.slice(0, nul), translation.split("\0"));
  }
  return {
    gettext: (message) => singles.get(message) ?? message,
    ngettext: (singular, plural, n) => {
      const forms = plurals.get(singular);
      const form = forms?.[pluralRule(n)];
      if (form !== undefined) return form;
      return n === 1 ? singular : plural;
    },
  };
}

function badCatalog(reason: string): InvalidArgumentError {
  return new InvalidArgumentError(`not a valid gettext catalog: ${reason}; compile it with msgfmt`, "TYPHOON_ERR_BAD_CATALOG");
}

// ---- Plural-Forms expressions: C's syntax over `n`, evaluated without eval

type Node = (n: number) => number;

const TOKEN_RE = /\s*(?:(\d+)|(n)|(\|\||&&|==|!=|<=|>=|[<>+\-*/%!?:()]))/y;

/**
 * Compiles a `Plural-Forms` `plural=` expression (`(n != 1)`, `n%10==1 && n%100!=11 ? 0 : …`)
 * into a function, as Python's `gettext.c2py`: C's operators and precedence, no other names.
 * @throws InvalidArgumentError for anything else.
 */
export function compilePluralRule(expression: string): (n: number) => number {
  const tokens: string[] = [];
  TOKEN_RE.lastIndex = 0;
  const source = expression.trim();
  while (TOKEN_RE.lastIndex < source.length) {
    const match = TOKEN_RE.exec(source);
    if (!match) throw badRule(expression);
    tokens.push(match[1] ?? match[2] ?? match[3]!);
  }
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const take = (expected?: string): string => {
    const token = tokens[position++];
    if (token === undefined || (expected !== undefined && token !== expected)) throw badRule(expression);
    return token;
  };
  const binary: readonly (readonly string[])[] = [["||"], ["&&"], ["==", "!="], ["<", ">", "<=", ">="], ["+", "-"], ["*", "/", "%"]];
  const parseTernary = (): Node => {
    const condition = parseBinary(0);
    if (peek() !== "?") return condition;
    take("?");
    const then = parseTernary();
    take(":");
    const otherwise = parseTernary();
    return (n) => (condition(n) ? then(n) : otherwise(n));
  };
  const parseBinary = (level: number): Node => {
    if (level === binary.length) return parseUnary();
    let left = parseBinary(level + 1);
    while (binary[level]!.includes(peek() ?? "")) {
      const operator = take();
      const right = parseBinary(level + 1);
      left = combine(operator, left, right);
    }
    return left;
  };
  const parseUnary = (): Node => {
    const token = take();
    if (token === "!") {
      const operand = parseUnary();
      return (n) => (operand(n) ? 0 : 1);
    }
    if (token === "-") {
      const operand = parseUnary();
      return (n) => -operand(n);
    }
    if (token === "(") {
      const inner = parseTernary();
      take(")");
      return inner;
    }
    if (token === "n") return (n) => n;
    if (/^\d+$/.test(token)) {
      const value = Number(token);
      return () => value;
    }
    throw badRule(expression);
  };
  const rule = parseTernary();
  if (position !== tokens.length) throw badRule(expression);
  return (n) => rule(Math.trunc(n));
}

function combine(operator: string, left: Node, right: Node): Node {
  switch (operator) {
    case "||":
      return (n) => (left(n) || right(n) ? 1 : 0);
    case "&&":
      return (n) => (left(n) && right(n) ? 1 : 0);
    case "==":
      return (n) => (left(n) === right(n) ? 1 : 0);
    case "!=":
      return (n) => (left(n) !== right(n) ? 1 : 0);
    case "<":
      return (n) => (left(n) < right(n) ? 1 : 0);
    case ">":
      return (n) => (left(n) > right(n) ? 1 : 0);
    case "<=":
      return (n) => (left(n) <= right(n) ? 1 : 0);
    case ">=":
      return (n) => (left(n) >= right(n) ? 1 : 0);
    case "+":
      return (n) => left(n) + right(n);
    case "-":
      return (n) => left(n) - right(n);
    case "*":
      return (n) => left(n) * right(n);
    case "/":
      return (n) => Math.trunc(left(n) / right(n));
    default:
      return (n) => left(n) % right(n);
  }
}

function badRule(expression: string): InvalidArgumentError {
  return new InvalidArgumentError(`unsupported Plural-Forms expression: ${JSON.stringify(expression)}`, "TYPHOON_ERR_BAD_CATALOG");
}
