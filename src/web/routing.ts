// Ports tornado.routing: matchers, rules, RuleRouter and ReversibleRuleRouter, plus URLSpec/url from tornado.web.

import type { HTTPServerRequest } from "../http/request.js";
import type { RequestCallback, RequestDelegate } from "../http/server.js";
import { urlEscape } from "../util/escape.js";
import { InvalidArgumentError } from "../util/errors.js";
import { appLog } from "../util/log.js";
import type { HandlerClass } from "./request-handler.js";

/** What a matcher extracts from a request: the path groups, still percent-encoded. */
export interface MatchResult {
  /** Unnamed groups in order; `undefined` for a group that did not participate. */
  readonly pathArgs: readonly (string | undefined)[];
  /** Named groups by name (when the pattern has any, unnamed ones are not passed). */
  readonly pathKwargs: Readonly<Record<string, string | undefined>>;
}

const EMPTY_MATCH: MatchResult = Object.freeze({ pathArgs: Object.freeze([]), pathKwargs: Object.freeze({}) });

/** Decides whether a rule applies to a request. Tornado: `tornado.routing.Matcher`. */
export abstract class Matcher {
  /** Override this to return what the request yields for the handler, or `null` when it does not match. */
  abstract match(request: HTTPServerRequest): MatchResult | null;

  /** Override this to rebuild a URL from arguments; `null` when the matcher cannot. */
  reverse(..._args: unknown[]): string | null {
    return null;
  }
}

/** Matches every request. Tornado: `AnyMatches`. */
export class AnyMatches extends Matcher {
  override match(_request: HTTPServerRequest): MatchResult {
    return EMPTY_MATCH;
  }
}

/**
 * Matches the request's host name (without port) against a pattern anchored at both ends
 * (`$` is appended to a string pattern when missing). Tornado: `HostMatches`.
 */
export class HostMatches extends Matcher {
  readonly regex: RegExp;

  constructor(hostPattern: string | RegExp) {
    super();
    this.regex = compilePattern(hostPattern);
  }

  override match(request: HTTPServerRequest): MatchResult | null {
    this.regex.lastIndex = 0;
    return this.regex.test(request.hostName) ? EMPTY_MATCH : null;
  }
}

/**
 * Matches the request path against a regular expression anchored at the start, and at the
 * end too for string patterns (`$` is appended when missing), as Tornado. Python's named
 * groups `(?P<name>...)` are accepted and mean JavaScript's `(?<name>...)`.
 * Tornado: `PathMatches`.
 */
export class PathMatches extends Matcher {
  /** The compiled expression (sticky, so it only matches at the start of the path). */
  readonly regex: RegExp;
  /** Literal text every matching path starts with. */
  readonly literalPrefix: string;
  /**
   * The first path segment every matching path has (`"user"` for `/user/(\d+)`), or `null`
   * when the pattern does not fix it. Routers index rules by it.
   */
  readonly indexKey: string | null;
  readonly #exact: string | null;
  readonly #groupCount: number;
  readonly #named: boolean;
  readonly #reversePieces: readonly string[] | null;

  constructor(pathPattern: string | RegExp) {
    super();
    this.regex = compilePattern(pathPattern);
    this.#groupCount = new RegExp(`${this.regex.source}|`).exec("")!.length - 1;
    this.#named = /\(\?<[A-Za-z_$]/.test(this.regex.source);
    const literal = this.regex.flags.includes("i") ? null : literalPrefixOf(this.regex.source);
    this.literalPrefix = literal?.prefix ?? "";
    this.#exact = literal?.complete ? literal.prefix : null;
    this.indexKey = literal ? segmentKey(literal.prefix, literal.complete) : null;
    this.#reversePieces = reversePiecesOf(this.regex.source, this.#groupCount);
  }

  override match(request: HTTPServerRequest): MatchResult | null {
    const path = request.path;
    if (this.#exact !== null) return path === this.#exact ? EMPTY_MATCH : null;
    if (!path.startsWith(this.literalPrefix)) return null;
    this.regex.lastIndex = 0;
    const found = this.regex.exec(path);
    if (found === null) return null;
    if (this.#groupCount === 0) return EMPTY_MATCH;
    if (this.#named && found.groups) return { pathArgs: [], pathKwargs: { ...found.groups } };
    return { pathArgs: found.slice(1), pathKwargs: {} };
  }

  /**
   * Rebuilds a path from arguments, URL-escaping each one.
   * @throws InvalidArgumentError when the pattern is too complex to reverse or the number
   *   of arguments does not match its groups.
   */
  override reverse(...args: unknown[]): string {
    const pieces = this.#reversePieces;
    if (pieces === null) {
      throw new InvalidArgumentError(
        `Cannot reverse url regex ${this.regex.source}: only patterns whose groups are plain (...) with literal text around them can be reversed`,
        "TYPHOON_ERR_CANNOT_REVERSE",
      );
    }
    if (args.length !== this.#groupCount) {
      throw new InvalidArgumentError(
        `url ${this.regex.source} needs ${this.#groupCount} argument(s) to reverse, got ${args.length}`,
        "TYPHOON_ERR_REVERSE_ARGUMENTS",
      );
    }
    let path = pieces[0]!;
    for (let i = 0; i < args.length; i++) path += urlEscape(String(args[i]), false) + pieces[i + 1]!;
    return path;
  }
}

function compilePattern(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) {
    return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "") + "y");
  }
  let source = pattern.replace(/\(\?P<([A-Za-z_]\w*)>/g, "(?<$1>").replace(/\(\?P=([A-Za-z_]\w*)\)/g, "\\k<$1>");
  if (!source.endsWith("$")) source += "$";
  try {
    return new RegExp(source, "y");
  } catch (error) {
    throw new InvalidArgumentError(
      `invalid route pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`,
      "TYPHOON_ERR_BAD_PATTERN",
    );
  }
}

const SPECIAL = new Set(".^$*+?()[]{}|\\");

/**
 * The literal text at the start of a pattern and whether it is the whole pattern.
 * `null` when the pattern has a top-level alternation (then no prefix is certain).
 */
function literalPrefixOf(source: string): { prefix: string; complete: boolean } | null {
  if (hasTopLevelAlternation(source)) return null;
  let prefix = "";
  let i = source.startsWith("^") ? 1 : 0;
  while (i < source.length) {
    const char = source[i]!;
    let literal: string;
    let next: number;
    if (char === "\\") {
      const escaped = source[i + 1];
      if (escaped === undefined || /[A-Za-z0-9]/.test(escaped)) return { prefix, complete: false };
      literal = escaped;
      next = i + 2;
    } else if (SPECIAL.has(char)) {
      const complete = char === "$" && i === source.length - 1;
      return { prefix, complete };
    } else {
      literal = char;
      next = i + 1;
    }
    const quantifier = source[next];
    if (quantifier === "*" || quantifier === "?" || quantifier === "{") return { prefix, complete: false };
    prefix += literal;
    if (quantifier === "+") return { prefix, complete: false };
    i = next;
  }
  // No `$`: a RegExp pattern given without one also matches longer paths.
  return { prefix, complete: false };
}

function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === "\\") i++;
    else if (inClass) inClass = char !== "]";
    else if (char === "[") inClass = true;
    else if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "|" && depth === 0) return true;
  }
  return false;
}

function segmentKey(prefix: string, complete: boolean): string | null {
  if (!prefix.startsWith("/")) return null;
  const slash = prefix.indexOf("/", 1);
  if (slash >= 0) return prefix.slice(1, slash);
  return complete ? prefix.slice(1) : null;
}

/** The first path segment of a request path: `"user"` for `/user/12`, `""` for `/`. */
function firstSegment(path: string): string {
  const slash = path.indexOf("/", 1);
  return slash < 0 ? path.slice(1) : path.slice(1, slash);
}

/**
 * Literal pieces between the groups of a pattern, as Tornado's `URLSpec._find_groups`;
 * `null` when the pattern cannot be reversed.
 */
function reversePiecesOf(source: string, groupCount: number): string[] | null {
  let pattern = source.startsWith("^") ? source.slice(1) : source;
  if (pattern.endsWith("$")) pattern = pattern.slice(0, -1);
  if (groupCount !== pattern.split("(").length - 1) return null;
  const pieces: string[] = [];
  let current = "";
  for (const [index, fragment] of pattern.split("(").entries()) {
    let literal = fragment;
    if (index > 0) {
      const close = fragment.indexOf(")");
      if (close < 0) return null;
      pieces.push(current);
      current = "";
      literal = fragment.slice(close + 1);
    }
    const unescaped = regexUnescape(literal);
    if (unescaped === null) return null;
    current += unescaped;
  }
  pieces.push(current);
  return pieces;
}

function regexUnescape(text: string): string | null {
  let result = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char !== "\\") {
      if (SPECIAL.has(char)) return null;
      result += char;
      continue;
    }
    const escaped = text[++i];
    if (escaped === undefined || /[A-Za-z0-9]/.test(escaped)) return null;
    result += escaped;
  }
  return result;
}

/** Finds the target for a request. Tornado: `tornado.routing.Router`. */
export interface Router {
  /** The matching route, or `null` when none matches. */
  findHandler(request: HTTPServerRequest): RouteMatch | null;
}

/** A router that can also rebuild URLs from rule names. Tornado: `ReversibleRouter`. */
export interface ReversibleRouter extends Router {
  /** The URL of the rule named `name` with `args` filled in, or `null` when no rule has that name. */
  reverseUrl(name: string, ...args: unknown[]): string | null;
}

/** A route found for a request: the rule's target and what the matcher extracted. */
export interface RouteMatch extends MatchResult {
  readonly target: unknown;
  /** The rule's `targetKwargs` (a handler's `initArgs`). */
  readonly targetKwargs: unknown;
}

/**
 * What a rule can route to: a handler class (in an `Application`), a list of rules (a nested
 * router), a router, a request delegate (e.g. another `Application`) or a function of the request.
 */
export type RuleTarget = HandlerClass | Router | RequestDelegate | RequestCallback | readonly RuleSpec[];

/** The `initialize` argument type of a handler class (`unknown` for other targets). */
export type InitArgsOf<T> = T extends new (...args: never[]) => { initialize(initArgs: infer A): void } ? A : unknown;

/**
 * A routing rule: a matcher, a target (handler class, router, request delegate or
 * function) and the arguments given to the target. Tornado: `tornado.routing.Rule`.
 */
export class Rule {
  readonly matcher: Matcher;
  target: RuleTarget;
  readonly targetKwargs: unknown;
  readonly name: string | undefined;

  constructor(matcher: Matcher, target: RuleTarget, targetKwargs?: unknown, name?: string) {
    this.matcher = matcher;
    this.target = target;
    this.targetKwargs = targetKwargs;
    this.name = name;
  }

  /** Rebuilds the URL of this rule from arguments (see `PathMatches.reverse`). */
  reverse(...args: unknown[]): string | null {
    return this.matcher.reverse(...args);
  }

  toString(): string {
    return `Rule(${this.matcher.constructor.name}, ${describeTarget(this.target)}${this.name ? `, name=${this.name}` : ""})`;
  }
}

/**
 * A path rule for an application: pattern, handler class, the arguments for the handler's
 * `initialize`, and an optional name for `reverseUrl`. Tornado: `tornado.web.URLSpec`.
 */
export class URLSpec extends Rule {
  declare readonly matcher: PathMatches;

  constructor(pattern: string | RegExp, handler: RuleTarget, initArgs?: unknown, name?: string) {
    super(new PathMatches(pattern), handler, initArgs, name);
  }

  /** The compiled path expression. */
  get regex(): RegExp {
    return this.matcher.regex;
  }

  /** The handler class. Tornado: `handler_class`. */
  get handlerClass(): RuleTarget {
    return this.target;
  }

  /** The arguments passed to the handler's `initialize`. Tornado: `kwargs`. */
  get initArgs(): unknown {
    return this.targetKwargs;
  }

  override reverse(...args: unknown[]): string {
    return this.matcher.reverse(...args);
  }
}

/**
 * Builds a {@link URLSpec}. Unlike the tuple form, `initArgs` is type-checked against the
 * handler's `initialize` parameter. Tornado: `tornado.web.url`.
 *
 * @example url("/story/([0-9]+)", StoryHandler, { db }, "story")
 */
export function url<T extends RuleTarget>(pattern: string | RegExp, handler: T, initArgs?: InitArgsOf<T>, name?: string): URLSpec {
  return new URLSpec(pattern, handler, initArgs, name);
}

/** A rule as given to a router: a `Rule`, or `[pattern, target, targetKwargs?, name?]`. */
export type RuleSpec = Rule | readonly [pattern: string | RegExp | Matcher, target: RuleTarget, targetKwargs?: unknown, name?: string];

/** Rules that are checked one by one, in order, with no index (below this count). */
const INDEX_THRESHOLD = 8;

function isRouter(value: unknown): value is Router {
  return typeof value === "object" && value !== null && typeof (value as Router).findHandler === "function";
}

function isDelegate(value: unknown): value is RequestDelegate {
  return typeof value === "object" && value !== null && typeof (value as RequestDelegate).handleRequest === "function";
}

function describeTarget(target: unknown): string {
  if (typeof target === "function") return target.name || "anonymous function";
  return target?.constructor?.name ?? String(target);
}

/**
 * Routes a request to the first rule, in declaration order, whose matcher accepts it.
 * A target may be another router (searched in turn; the search goes on when it has no
 * match), a request delegate, a function of the request, or — in an `Application` — a
 * handler class. Rules are indexed by the first path segment their pattern fixes, so
 * hundreds of rules cost little more than a few, while the first match still wins.
 * Tornado: `tornado.routing.RuleRouter`.
 */
export class RuleRouter implements Router, RequestDelegate {
  /** The rules, in matching order. */
  readonly rules: Rule[] = [];
  /** First path segment → positions of the rules fixing it, ascending. */
  #index: Map<string, number[]> | undefined;
  /** Positions of the rules that could match any first segment, ascending. */
  #unindexed: number[] = [];

  constructor(rules: readonly RuleSpec[] = []) {
    this.addRules(rules);
  }

  /** Appends rules (checked after the existing ones). Tornado: `add_rules`. */
  addRules(rules: readonly RuleSpec[]): void {
    for (const spec of rules) this.rules.push(this.processRule(toRule(spec)));
    this.#index = undefined;
  }

  /** Inserts a rule at `position` in the matching order. */
  insertRule(position: number, spec: RuleSpec): void {
    this.rules.splice(position, 0, this.processRule(toRule(spec)));
    this.#index = undefined;
  }

  /**
   * Override this to change a rule as it is added; the default turns a list of rules given
   * as a target into a nested router. Tornado: `process_rule`.
   */
  processRule(rule: Rule): Rule {
    if (Array.isArray(rule.target)) rule.target = this.createNestedRouter(rule.target as readonly RuleSpec[]);
    return rule;
  }

  /** Override this to choose the class of routers built from nested rule lists. */
  protected createNestedRouter(rules: readonly RuleSpec[]): Router {
    return new RuleRouter(rules);
  }

  findHandler(request: HTTPServerRequest): RouteMatch | null {
    const rules = this.rules;
    if (rules.length < INDEX_THRESHOLD) {
      for (const rule of rules) {
        const found = this.#tryRule(rule, request);
        if (found) return found;
      }
      return null;
    }
    const index = this.#index ?? this.#buildIndex();
    const keyed = index.get(firstSegment(request.path)) ?? NO_POSITIONS;
    const unindexed = this.#unindexed;
    // Merge the two ascending position lists, so the first match in declaration order wins.
    let k = 0;
    let u = 0;
    while (k < keyed.length || u < unindexed.length) {
      const position = u >= unindexed.length || (k < keyed.length && keyed[k]! < unindexed[u]!) ? keyed[k++]! : unindexed[u++]!;
      const found = this.#tryRule(rules[position]!, request);
      if (found) return found;
    }
    return null;
  }

  #tryRule(rule: Rule, request: HTTPServerRequest): RouteMatch | null {
    const matched = rule.matcher.match(request);
    if (matched === null) return null;
    const target = rule.target;
    if (isRouter(target)) return target.findHandler(request);
    return { target, targetKwargs: rule.targetKwargs, pathArgs: matched.pathArgs, pathKwargs: matched.pathKwargs };
  }

  #buildIndex(): Map<string, number[]> {
    const index = new Map<string, number[]>();
    const unindexed: number[] = [];
    this.rules.forEach((rule, position) => {
      const key = rule.matcher instanceof PathMatches ? rule.matcher.indexKey : null;
      if (key === null) unindexed.push(position);
      else if (index.has(key)) index.get(key)!.push(position);
      else index.set(key, [position]);
    });
    this.#index = index;
    this.#unindexed = unindexed;
    return index;
  }

  /**
   * Answers a request as an `HTTPServer` delegate: calls the matched function or delegate;
   * 404 when nothing matches.
   */
  handleRequest(request: HTTPServerRequest): void | Promise<void> {
    const found = this.findHandler(request);
    const target = found?.target;
    if (typeof target === "function") return (target as RequestCallback)(request);
    if (isDelegate(target)) return target.handleRequest(request);
    const res = request.connection?.res;
    if (!res) return;
    const body = "<html><title>404: Not Found</title><body>404: Not Found</body></html>";
    res.writeHead(404, { "Content-Type": "text/html; charset=UTF-8", "Content-Length": body.length });
    res.end(body);
  }
}

const NO_POSITIONS: readonly number[] = [];

/**
 * A {@link RuleRouter} that also rebuilds URLs from rule names, searching nested
 * reversible routers too. Tornado: `ReversibleRuleRouter`.
 */
export class ReversibleRuleRouter extends RuleRouter implements ReversibleRouter {
  /** Rules by name. */
  readonly namedRules = new Map<string, Rule>();

  constructor(rules: readonly RuleSpec[] = []) {
    // Rules are added after the fields above exist, since processRule uses them.
    super();
    this.addRules(rules);
  }

  override processRule(rule: Rule): Rule {
    const processed = super.processRule(rule);
    if (processed.name !== undefined) {
      if (this.namedRules.has(processed.name)) {
        appLog.warning(`Multiple handlers named ${processed.name}; replacing previous value`);
      }
      this.namedRules.set(processed.name, processed);
    }
    return processed;
  }

  protected override createNestedRouter(rules: readonly RuleSpec[]): Router {
    return new ReversibleRuleRouter(rules);
  }

  reverseUrl(name: string, ...args: unknown[]): string | null {
    const named = this.namedRules.get(name);
    if (named) return named.matcher.reverse(...args);
    for (const rule of this.rules) {
      const target = rule.target as Partial<ReversibleRouter> | null;
      if (typeof target?.reverseUrl === "function") {
        const reversed = target.reverseUrl(name, ...args);
        if (reversed !== null) return reversed;
      }
    }
    return null;
  }
}

function toRule(spec: RuleSpec): Rule {
  if (spec instanceof Rule) return spec;
  if (!Array.isArray(spec) || spec.length < 2 || spec.length > 4) {
    throw new InvalidArgumentError(
      "a rule is a Rule, url(...), or [pattern, target, initArgs?, name?]",
      "TYPHOON_ERR_BAD_RULE",
    );
  }
  const [pattern, target, kwargs, name] = spec as [string | RegExp | Matcher, RuleTarget, unknown, string | undefined];
  if (pattern instanceof Matcher) return new Rule(pattern, target, kwargs, name);
  return new URLSpec(pattern, target, kwargs, name);
}
