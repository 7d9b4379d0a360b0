// Ports tornado.options: command-line and config-file options defined anywhere in a program.

import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { TyphoonError } from "../util/errors.js";

/** Bad option definitions, unknown options and malformed values. Tornado: `tornado.options.Error`. */
export class OptionsError extends TyphoonError {
  constructor(message: string) {
    super("TYPHOON_ERR_OPTIONS", message);
  }
}

/**
 * How an option's text (`--name=text`) becomes its value: a built-in kind, or a function
 * from the text to the value (Tornado accepts any callable `type` the same way).
 * `"duration"` is Tornado's `timedelta` in seconds (`45s`, `1h30m`, `2.5d`); `"date"` a local
 * date and time in one of Tornado's formats (`2013-04-28 05:16`, `20130428`, `05:16`…).
 */
export type OptionType = "string" | "number" | "integer" | "boolean" | "date" | "duration" | ((text: string) => unknown);

/** The value type of an option kind. */
export type OptionValueOf<T extends OptionType> = T extends "string"
  ? string
  : T extends "number" | "integer" | "duration"
    ? number
    : T extends "boolean"
      ? boolean
      : T extends "date"
        ? Date
        : T extends (text: string) => infer R
          ? R
          : never;

/** What {@link define} takes besides the name. Tornado: `define`'s keyword arguments. */
export interface OptionSpec {
  /** The value until one is parsed or set. Also decides `type` when that is not given. */
  default?: unknown;
  /** How text is parsed. Default: from `default` (an integer default → `"integer"`), else `"string"`. */
  type?: OptionType;
  /** One line for `--help`. */
  help?: string;
  /** The value's name in `--help` (`--port=PORT`). */
  metavar?: string;
  /** The value is a list: comma-separated, and `lo:hi` ranges for integers. */
  multiple?: boolean;
  /** The heading in `--help`; default: the file that defined the option, as Tornado. */
  group?: string;
  /** Runs with the new value whenever the option is parsed or set. */
  callback?: (value: never) => void;
}

type SingleValueOf<S extends OptionSpec> = S extends { type: infer T extends OptionType }
  ? OptionValueOf<T>
  : S extends { default: infer D }
    ? D extends number
      ? number
      : D extends boolean
        ? boolean
        : D extends Date
          ? Date
          : string
    : string;

/** The value type of an option defined with `spec`: from its `type`, else its `default`; a list when `multiple`. */
export type OptionSpecValue<S extends OptionSpec> = S extends { multiple: true } ? SingleValueOf<S>[] : SingleValueOf<S>;

/**
 * The values of the options a program defines, for typed access through `options`. Empty
 * here: extend it by declaration merging.
 *
 * @example
 * declare module "typhoon" {
 *   interface OptionValues { port: number; debug: boolean }
 * }
 * define("port", { default: 8888, help: "run on the given port" });
 * parseCommandLine();
 * options.port; // number
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface OptionValues {}

/** Options of {@link OptionParser.parseCommandLine} and {@link OptionParser.parseConfigFile}. */
export interface ParseOptions {
  /** Run the parse callbacks afterwards (default true); false when more sources follow. */
  final?: boolean;
}

const UNSET: unique symbol = Symbol("unset");

/** One defined option. Tornado: `tornado.options._Option`. */
export class Option<T = unknown> {
  /** The name as defined (`mysql_host`, `mysql-host` or `mysqlHost`). */
  readonly name: string;
  readonly type: OptionType;
  readonly default: unknown;
  readonly help: string | undefined;
  readonly metavar: string | undefined;
  readonly multiple: boolean;
  /** The `--help` heading: the `group` given, else the defining file. */
  readonly groupName: string;
  /** The file that defined the option, `""` when unknown. */
  readonly fileName: string;
  readonly #callback: ((value: never) => void) | undefined;
  #value: unknown = UNSET;

  constructor(name: string, spec: OptionSpec, fileName: string) {
    this.name = name;
    this.multiple = spec.multiple ?? false;
    this.default = spec.default ?? (this.multiple ? [] : undefined);
    this.type = spec.type ?? inferType(spec.default, this.multiple);
    this.help = spec.help;
    this.metavar = spec.metavar;
    this.fileName = fileName;
    this.groupName = spec.group ?? fileName;
    this.#callback = spec.callback;
  }

  /** The parsed or set value, else the default. */
  get value(): T {
    return (this.#value === UNSET ? this.default : this.#value) as T;
  }

  /**
   * Parses `text` as the command line would (lists split on commas, integer ranges
   * `lo:hi` inclusive), stores it and runs the callback.
   * @throws OptionsError for text the type cannot parse.
   */
  parse(text: string): T {
    if (this.multiple) {
      const values: unknown[] = [];
      for (const part of text.split(",")) {
        if (this.type === "integer" && part.includes(":")) {
          const [lo, hi] = part.split(":", 2) as [string, string];
          const from = this.#parseOne(lo);
          const to = hi === "" ? from : this.#parseOne(hi);
          for (let n = from as number; n <= (to as number); n++) values.push(n);
        } else {
          values.push(this.#parseOne(part));
        }
      }
      this.#store(values);
    } else {
      this.#store(this.#parseOne(text));
    }
    return this.value;
  }

  /**
   * Stores a value that is already of the option's type (a list of them for `multiple`).
   * @throws OptionsError when it is not. Tornado: `_Option.set`.
   */
  set(value: unknown): void {
    if (this.multiple) {
      if (!Array.isArray(value) || !value.every((item) => item === null || item === undefined || this.#isOfType(item))) {
        throw new OptionsError(`Option '${this.name}' is required to be a list of ${typeName(this.type)}`);
      }
    } else if (value !== null && value !== undefined && !this.#isOfType(value)) {
      throw new OptionsError(`Option '${this.name}' is required to be a ${typeName(this.type)} (${describeType(value)} given)`);
    }
    this.#store(value);
  }

  #store(value: unknown): void {
    this.#value = value;
    this.#callback?.(value as never);
  }

  #isOfType(value: unknown): boolean {
    switch (this.type) {
      case "string":
        return typeof value === "string";
      case "number":
      case "duration":
        return typeof value === "number";
      case "integer":
        return Number.isInteger(value);
      case "boolean":
        return typeof value === "boolean";
      case "date":
        return value instanceof Date;
      default:
        // A custom parser says nothing about the values it makes: accept any.
        return true;
    }
  }

  #parseOne(text: string): unknown {
    const type = this.type;
    switch (type) {
      case "string":
        return text;
      case "boolean":
        return !["false", "0", "f"].includes(text.toLowerCase());
      case "integer": {
        if (!/^\s*[-+]?\d+\s*$/.test(text)) throw this.#invalid(text, "an integer");
        return Number.parseInt(text, 10);
      }
      case "number": {
        const value = Number(text);
        if (text.trim() === "" || Number.isNaN(value)) throw this.#invalid(text, "a number");
        return value;
      }
      case "date":
        return parseDate(text) ?? throwError(new OptionsError(`Unrecognized date/time format: '${text}'`));
      case "duration":
        return parseDuration(text) ?? throwError(this.#invalid(text, "a duration such as 45s, 1h30m or 2d"));
      default:
        try {
          return type(text);
        } catch (error) {
          throw new OptionsError(`Option '${this.name}' could not parse '${text}': ${(error as Error).message || String(error)}`);
        }
    }
  }

  #invalid(text: string, expected: string): OptionsError {
    return new OptionsError(`Option '${this.name}' expects ${expected}, got '${text}'`);
  }
}

function throwError(error: Error): never {
  throw error;
}

function inferType(defaultValue: unknown, multiple: boolean): OptionType {
  if (multiple || defaultValue === undefined || defaultValue === null) return "string";
  if (typeof defaultValue === "number") return Number.isInteger(defaultValue) ? "integer" : "number";
  if (typeof defaultValue === "boolean") return "boolean";
  if (defaultValue instanceof Date) return "date";
  return "string";
}

function typeName(type: OptionType): string {
  return typeof type === "function" ? type.name || "custom value" : type;
}

function describeType(value: unknown): string {
  if (value instanceof Date) return "date";
  return Array.isArray(value) ? "array" : typeof value;
}

/** The key every spelling of a name maps to: `mysqlHost`, `mysql_host`, `mysql-host` → `mysql-host`. */
function normalizeName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/_/g, "-").toLowerCase();
}

/** The property names an option is reachable under on the parser: as defined, camelCase and snake_case. */
function propertyNames(name: string): Set<string> {
  const kebab = normalizeName(name);
  const camel = kebab.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
  return new Set([name, camel, kebab.replace(/-/g, "_")]);
}

// ---- dates and durations, in Tornado's formats

const DATE_FORMATS: readonly RegExp[] = [
  // %a %b %d %H:%M:%S %Y (the format of Python's ctime)
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?<d>\d{1,2}) (?<H>\d{1,2}):(?<M>\d{1,2}):(?<S>\d{1,2}) (?<Y>\d{4})$/,
  /^(?<Y>\d{4})-(?<m>\d{1,2})-(?<d>\d{1,2})(?:[ T](?<H>\d{1,2}):(?<M>\d{1,2})(?::(?<S>\d{1,2}))?)?$/,
  /^(?<Y>\d{4})(?<m>\d{2})(?<d>\d{2})(?: (?<H>\d{1,2}):(?<M>\d{1,2})(?::(?<S>\d{1,2}))?)?$/,
  /^(?<H>\d{1,2}):(?<M>\d{1,2})(?::(?<S>\d{1,2}))?$/,
];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A local date and time in one of Tornado's option formats, or null. A time alone is on 1900-01-01, as Python's strptime. */
function parseDate(text: string): Date | null {
  for (const format of DATE_FORMATS) {
    const groups = format.exec(text)?.groups;
    if (!groups) continue;
    const year = Number(groups["Y"] ?? 1900);
    const month = groups["mon"] !== undefined ? MONTHS.indexOf(groups["mon"]) : Number(groups["m"] ?? 1) - 1;
    const day = Number(groups["d"] ?? 1);
    const [hour, minute, second] = [groups["H"], groups["M"], groups["S"]].map((part) => Number(part ?? 0)) as [number, number, number];
    const date = new Date(year, month, day, hour, minute, second);
    date.setFullYear(year);
    const valid =
      date.getMonth() === month && date.getDate() === day && hour < 24 && minute < 60 && second < 60;
    if (valid) return date;
  }
  return null;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  w: 604800, weeks: 604800, week: 604800,
  d: 86400, days: 86400, day: 86400,
  h: 3600, hours: 3600, hour: 3600,
  m: 60, min: 60, minutes: 60, minute: 60,
  s: 1, sec: 1, seconds: 1, second: 1,
  ms: 0.001, milliseconds: 0.001, millisecond: 0.001,
  us: 0.000001, microseconds: 0.000001, microsecond: 0.000001,
};
const DURATION_PART = /\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*/y;

/** Seconds in a Tornado timedelta text (`45s`, `1h 30m`, `2.5`: seconds without a unit), or null. */
function parseDuration(text: string): number | null {
  if (text.trim() === "") return null;
  let seconds = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const match = DURATION_PART.exec(text);
    if (!match) return null;
    const unit = DURATION_UNITS[match[2]!.toLowerCase() || "s"];
    if (unit === undefined) return null;
    seconds += Number(match[1]) * unit;
  }
  return seconds;
}

// ---- the parser

/** The file of the code that called into this module (for `--help` groups and redefinition errors). */
function callerFile(): string {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved to be put back as it was, never called
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, callerFile);
    const here = holder.stack?.[0]?.getFileName();
    const caller = holder.stack?.find((site) => site.getFileName() !== here)?.getFileName() ?? "";
    return caller.startsWith("file://") ? new URL(caller).pathname : caller;
  } finally {
    Error.prepareStackTrace = original;
  }
}

/**
 * A set of options: defined with {@link OptionParser.define}, filled from the command line
 * or a config file, read as properties (`parser.port`) or with `get`. Every parser has
 * `help`, which prints the options and exits. Tornado: `tornado.options.OptionParser`.
 */
export class OptionParser {
  readonly #options = new Map<string, Option>();
  readonly #parseCallbacks: (() => void)[] = [];

  constructor() {
    const help: OptionSpec = { type: "boolean", help: "show this help information", callback: (value: boolean) => this.#helpCallback(value) };
    this.#add("help", help, "");
  }

  /**
   * Defines an option. Its value is then a property of the parser under its name, its
   * camelCase and its snake_case spelling; on the command line it is `--kebab-case`
   * (dashes and underscores are interchangeable, as Tornado). Returns the option, whose
   * `value` is typed by its `type`.
   * @throws OptionsError when the name is already defined (in any spelling).
   *
   * @example
   * const port = define("port", { default: 8888, help: "run on the given port" });
   * parseCommandLine();           // --port=9000
   * port.value;                   // 9000, a number
   */
  define<const S extends OptionSpec>(name: string, spec: S = {} as S): Option<OptionSpecValue<S>> {
    return this.#add(name, spec, callerFile()) as Option<OptionSpecValue<S>>;
  }

  #add(name: string, spec: OptionSpec, fileName: string): Option {
    const key = normalizeName(name);
    const existing = this.#options.get(key);
    if (existing) {
      throw new OptionsError(`Option '${key}' already defined${existing.fileName ? ` in ${existing.fileName}` : ""}`);
    }
    const option = new Option(name, spec, fileName);
    this.#options.set(key, option);
    for (const property of propertyNames(name)) {
      if (property in this && !Object.hasOwn(this, property)) continue; // never shadow a method
      Object.defineProperty(this, property, {
        get: () => option.value,
        set: (value: unknown) => option.set(value),
        enumerable: false,
        configurable: true,
      });
    }
    return option;
  }

  /** The value of an option, by any spelling of its name. @throws OptionsError for an unknown name. */
  get<K extends string>(name: K): K extends keyof OptionValues ? OptionValues[K] : unknown {
    return this.#option(name).value as K extends keyof OptionValues ? OptionValues[K] : unknown;
  }

  /** Sets an option to a value of its type (text is not parsed). Tornado: `options.name = value`. */
  set(name: string, value: unknown): void {
    this.#option(name).set(value);
  }

  /** True when an option of that name (in any spelling) is defined. Tornado: `name in options`. */
  has(name: string): boolean {
    return this.#options.has(normalizeName(name));
  }

  /** The defined option objects, in definition order. */
  definitions(): Option[] {
    return [...this.#options.values()];
  }

  /** The option names as defined. Tornado: `iter(options)`. */
  [Symbol.iterator](): IterableIterator<string> {
    return this.definitions().map((option) => option.name)[Symbol.iterator]();
  }

  /** `[name, value]` pairs. Tornado: `items()`. */
  items(): [string, unknown][] {
    return this.definitions().map((option) => [option.name, option.value]);
  }

  /** The group names in use. Tornado: `groups()`. */
  groups(): Set<string> {
    return new Set(this.definitions().map((option) => option.groupName));
  }

  /**
   * Names and values of the options of one group (all options for `""`), e.g. to pass a
   * group as application settings. Tornado: `group_dict`.
   */
  groupDict(group: string): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const option of this.#options.values()) {
      if (!group || option.groupName === group) values[option.name] = option.value;
    }
    return values;
  }

  /** Names and values of every option. Tornado: `as_dict`. */
  asDict(): Record<string, unknown> {
    return this.groupDict("");
  }

  /**
   * Parses `--name=value` arguments (`argv[0]` and `argv[1]`, Node and the script, are
   * skipped — pass `["node", "script", ...args]` or use the default `process.argv`).
   * `--flag` alone means true for a boolean. Parsing stops at the first argument that does
   * not start with `-`, or after `--`; the rest is returned. Tornado: `parse_command_line`
   * (which skips only `argv[0]`, Python's script).
   * @throws OptionsError for an unknown option (after printing the help to stderr) or a
   *   value its type cannot parse.
   */
  parseCommandLine(argv: readonly string[] = process.argv, { final = true }: ParseOptions = {}): string[] {
    let remaining: string[] = [];
    for (let i = 2; i < argv.length; i++) {
      const argument = argv[i]!;
      if (!argument.startsWith("-")) {
        remaining = argv.slice(i);
        break;
      }
      if (argument === "--") {
        remaining = argv.slice(i + 1);
        break;
      }
      const stripped = argument.replace(/^-+/, "");
      const equals = stripped.indexOf("=");
      const name = normalizeName(equals < 0 ? stripped : stripped.slice(0, equals));
      const option = this.#options.get(name);
      if (!option) {
        this.printHelp();
        throw new OptionsError(`Unrecognized command line option: '${name}'`);
      }
      if (equals < 0 && option.type !== "boolean") throw new OptionsError(`Option '${name}' requires a value`);
      option.parse(equals < 0 ? "true" : stripped.slice(equals + 1));
    }
    if (final) this.runParseCallbacks();
    return remaining;
  }

  /**
   * Loads option values from a JSON file: an object whose keys are option names (any
   * spelling; keys that are not options are ignored). A value is either of the option's
   * type (a list for `multiple`) or a string parsed as on the command line.
   * Tornado: `parse_config_file`, whose files are Python code; a JSON file is Typhoon's
   * equivalent that cannot run code.
   * @throws OptionsError for a file that is not a JSON object or a value of the wrong type.
   */
  parseConfigFile(path: string, { final = true }: ParseOptions = {}): void {
    const absolute = resolve(path);
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(absolute, "utf8"));
    } catch (error) {
      throw new OptionsError(`Config file ${absolute} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      throw new OptionsError(`Config file ${absolute} must hold a JSON object of option names and values`);
    }
    for (const [name, value] of Object.entries(config)) {
      const option = this.#options.get(normalizeName(name));
      if (!option) continue;
      if (option.multiple && !Array.isArray(value) && typeof value !== "string") {
        throw new OptionsError(`Option '${option.name}' is required to be a list of ${typeName(option.type)} or a comma-separated string`);
      }
      // Unlike Tornado, a comma-separated string also fills a multiple string option, as its docs promise.
      if (typeof value === "string" && (option.type !== "string" || option.multiple)) option.parse(value);
      else option.set(value);
    }
    if (final) this.runParseCallbacks();
  }

  /** Prints every option, grouped, to `stream` (default stderr). Tornado: `print_help`. */
  printHelp(stream: { write(text: string): unknown } = process.stderr): void {
    const script = process.argv[1] ?? "program";
    const lines = [`Usage: ${relative(process.cwd(), script) || script} [OPTIONS]`, "", "Options:", ""];
    const byGroup = new Map<string, Option[]>();
    for (const option of this.#options.values()) {
      const group = byGroup.get(option.groupName) ?? [];
      group.push(option);
      byGroup.set(option.groupName, group);
    }
    for (const group of [...byGroup.keys()].sort()) {
      if (group) lines.push("", `${group} options:`, "");
      for (const option of byGroup.get(group)!.sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name)))) {
        lines.push(...helpLines(option));
      }
    }
    lines.push("");
    stream.write(`${lines.join("\n")}\n`);
  }

  /** Adds a function to run when parsing is final. Tornado: `add_parse_callback`. */
  addParseCallback(callback: () => void): void {
    this.#parseCallbacks.push(callback);
  }

  /** Runs the parse callbacks (done by a final parse). Tornado: `run_parse_callbacks`. */
  runParseCallbacks(): void {
    for (const callback of this.#parseCallbacks) callback();
  }

  #option(name: string): Option {
    const option = this.#options.get(normalizeName(name));
    if (!option) throw new OptionsError(`Unrecognized option '${normalizeName(name)}': define() it first`);
    return option;
  }

  #helpCallback(value: boolean): void {
    if (!value) return;
    this.printHelp();
    process.exit(0);
  }
}

/** One `--help` entry, laid out as Tornado's (name column of 30, text wrapped at 79). */
function helpLines(option: Option): string[] {
  let prefix = normalizeName(option.name);
  if (option.metavar) prefix += `=${option.metavar}`;
  let description = option.help ?? "";
  const shown = option.default instanceof Date ? option.default.toString() : option.default;
  if (shown !== undefined && shown !== null && shown !== "" && !(Array.isArray(shown) && shown.length === 0)) {
    description += ` (default ${String(shown)})`;
  }
  const wrapped = wrap(description.trim(), 79 - 35);
  if (prefix.length > 30 || wrapped.length === 0) wrapped.unshift("");
  return [`  --${prefix.padEnd(30)} ${wrapped[0]}`.trimEnd(), ...wrapped.slice(1).map((line) => `${" ".repeat(34)} ${line}`)];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The program's global options: defined with {@link define}, filled by
 * {@link parseCommandLine}, read as `options.name` (typed through {@link OptionValues}).
 * Tornado: `tornado.options.options`.
 */
export const options = new OptionParser() as OptionParser & OptionValues;

/** Defines an option on the global {@link options}. Tornado: `tornado.options.define`. */
export function define<const S extends OptionSpec>(name: string, spec: S = {} as S): Option<OptionSpecValue<S>> {
  return options.define(name, spec);
}

/** Parses the command line into the global {@link options}. Tornado: `parse_command_line`. */
export function parseCommandLine(argv: readonly string[] = process.argv, parse: ParseOptions = {}): string[] {
  return options.parseCommandLine(argv, parse);
}

/** Loads a JSON config file into the global {@link options}. Tornado: `parse_config_file`. */
export function parseConfigFile(path: string, parse: ParseOptions = {}): void {
  options.parseConfigFile(path, parse);
}

/** Prints the global options' help. Tornado: `print_help`. */
export function printHelp(stream?: { write(text: string): unknown }): void {
  options.printHelp(stream);
}

/** Adds a parse callback to the global {@link options}. Tornado: `add_parse_callback`. */
export function addParseCallback(callback: () => void): void {
  options.addParseCallback(callback);
}
