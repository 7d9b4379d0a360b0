// Ports tornado.locale: translations (CSV or gettext), locale choice, and dates, lists and numbers in words.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidArgumentError } from "../util/errors.js";
import { genLog } from "../util/log.js";
import { parseCsv } from "./csv.js";
import { type GettextCatalog, parseMoFile } from "./gettext.js";
import { LOCALE_NAMES } from "./locale-data.js";

/** Separates a `pgettext` context from its message in gettext catalogs. Tornado: `CONTEXT_SEPARATOR`. */
export const CONTEXT_SEPARATOR = "\x04";

type PluralKind = "plural" | "singular" | "unknown";
/** A CSV locale's messages: plural indicator → English message → translation. */
export type CsvTranslations = Partial<Record<PluralKind, Record<string, string>>>;

let defaultLocale = "en_US";
let translations = new Map<string, CsvTranslations | GettextCatalog>();
let supportedLocales: ReadonlySet<string> = new Set([defaultLocale]);
let useGettext = false;
const cache = new Map<string, Locale>();

function updateSupportedLocales(): void {
  supportedLocales = new Set([...translations.keys(), defaultLocale]);
  // A new set of translations makes every cached Locale stale.
  cache.clear();
}

/**
 * The closest supported locale to the first code that has one (`"fr-CA"` falls back to
 * `fr` when only that is loaded), else the default locale. Tornado: `tornado.locale.get`.
 */
export function getLocale(...codes: (string | null | undefined)[]): Locale {
  return Locale.getClosest(...codes);
}

/**
 * Sets the locale the application's own strings are written in (default `en_US`); it
 * needs no translation file. Tornado: `set_default_locale`.
 */
export function setDefaultLocale(code: string): void {
  defaultLocale = code;
  updateSupportedLocales();
}

/** The codes of the loaded locales plus the default one. Tornado: `get_supported_locales`. */
export function getSupportedLocales(): ReadonlySet<string> {
  return supportedLocales;
}

const LOCALE_FILE_RE = /^[a-z]+(_[A-Z]+)?$/;

/**
 * Loads translations from the `LOCALE.csv` files of `directory` (`es_GT.csv`, `fr.csv`…),
 * replacing any loaded before. Each row is `"message","translation"` with an optional
 * third column `plural` or `singular` (for messages whose translation depends on a count;
 * empty or `unknown` otherwise). Files are UTF-8 (a BOM is allowed) or UTF-16 with a BOM,
 * unless `encoding` says otherwise. Messages may use Python-style placeholders such as
 * `%(name)s`. Bad file names and plural indicators are logged and skipped.
 * Tornado: `load_translations`.
 *
 * @example
 * // locales/es_LA.csv:
 * //   "I love you","Te amo"
 * //   "%(name)s liked this","A %(name)s les gustó esto","plural"
 * //   "%(name)s liked this","A %(name)s le gustó esto","singular"
 * loadTranslations("locales");
 * getLocale("es_LA").translate("I love you"); // "Te amo"
 */
export function loadTranslations(directory: string, encoding?: "utf-8" | "utf-16le" | "utf-16be"): void {
  translations = new Map();
  useGettext = false;
  for (const file of readdirSync(directory).sort()) {
    if (!file.endsWith(".csv")) continue;
    const code = file.slice(0, -4);
    const path = join(directory, file);
    if (!LOCALE_FILE_RE.test(code)) {
      genLog.error(`Unrecognized locale '${code}' (path: ${path})`);
      continue;
    }
    const messages: CsvTranslations = {};
    for (const { fields, line } of parseCsv(decodeTranslationFile(readFileSync(path), encoding))) {
      if (fields.length < 2) continue;
      const [message, translation, indicator] = fields.map((field) => field.trim()) as [string, string, string | undefined];
      const plural = indicator || "unknown";
      if (plural !== "plural" && plural !== "singular" && plural !== "unknown") {
        genLog.error(`Unrecognized plural indicator '${plural}' in ${file} line ${line}`);
        continue;
      }
      (messages[plural] ??= Object.create(null) as Record<string, string>)[message] = translation;
    }
    translations.set(code, messages);
  }
  updateSupportedLocales();
  genLog.debug(`Supported locales: ${[...supportedLocales].sort().join(", ")}`);
}

function decodeTranslationFile(data: Buffer, encoding: "utf-8" | "utf-16le" | "utf-16be" | undefined): string {
  let chosen = encoding;
  let start = 0;
  if (chosen === undefined) {
    if (data[0] === 0xff && data[1] === 0xfe) chosen = "utf-16le";
    else if (data[0] === 0xfe && data[1] === 0xff) chosen = "utf-16be";
    else chosen = "utf-8";
  }
  if (chosen === "utf-8" && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) start = 3;
  if (chosen !== "utf-8" && ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff))) start = 2;
  return new TextDecoder(chosen).decode(data.subarray(start));
}

/**
 * Loads gettext catalogs from `directory/LANG/LC_MESSAGES/DOMAIN.mo` (the layout of
 * `/usr/share/locale`, made with `xgettext`, `msgmerge` and `msgfmt`), replacing any
 * translations loaded before. A catalog that cannot be read is logged and skipped.
 * Tornado: `load_gettext_translations`.
 */
export function loadGettextTranslations(directory: string, domain: string): void {
  translations = new Map();
  for (const lang of readdirSync(directory).sort()) {
    const path = join(directory, lang, "LC_MESSAGES", `${domain}.mo`);
    if (!existsSync(path)) continue;
    try {
      translations.set(lang, parseMoFile(readFileSync(path)));
    } catch (error) {
      genLog.error(`Cannot load translation for '${lang}': ${(error as Error).message}`);
    }
  }
  useGettext = true;
  updateSupportedLocales();
  genLog.debug(`Supported locales: ${[...supportedLocales].sort().join(", ")}`);
}

/** Options of {@link Locale.formatDate}. */
export interface FormatDateOptions {
  /** Minutes the user's time zone is behind UTC (`Date#getTimezoneOffset()`'s sign). Default 0. */
  gmtOffset?: number;
  /** "2 minutes ago" for recent dates. Default true. */
  relative?: boolean;
  /** Leave out the time ("yesterday", "Monday", "April 28"). Default false. */
  shorter?: boolean;
  /** Always "April 28, 2013 at 6:35 pm". Default false. */
  fullFormat?: boolean;
}

/** Substitutes Python-style `%(name)s` and `%(name)d` placeholders, as Tornado's translated formats use. */
export function interpolate(format: string, values: Readonly<Record<string, string | number>>): string {
  return format.replace(/%\((\w+)\)([sd])/g, (whole, name: string, kind: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return kind === "d" ? String(Math.trunc(Number(value))) : String(value);
  });
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * A language the application can speak: its translations, and its way of writing dates,
 * lists and numbers. Get one with {@link getLocale} or `Locale.get`; in handlers it is
 * `this.locale`, and in templates `locale` with `_` bound to its `translate`.
 * Tornado: `tornado.locale.Locale`.
 */
export abstract class Locale {
  /** The code, e.g. `fr_FR`. */
  readonly code: string;
  /** The name in the locale's own language (`Français`), `Unknown` for codes Tornado does not list. */
  readonly name: string;
  /** True for right-to-left languages (Persian, Arabic, Hebrew). */
  readonly rtl: boolean;
  #months: string[] | undefined;
  #weekdays: string[] | undefined;

  /**
   * The closest supported locale to the codes, tried in order: an exact match
   * (`-` and `_` alike, case normalised), then the language alone. Tornado: `get_closest`.
   */
  static getClosest(...codes: (string | null | undefined)[]): Locale {
    for (const given of codes) {
      if (!given) continue;
      const parts = given.replace(/-/g, "_").split("_");
      if (parts.length > 2) continue;
      const language = parts[0]!.toLowerCase();
      const code = parts.length === 2 ? `${language}_${parts[1]!.toUpperCase()}` : given;
      if (supportedLocales.has(code)) return Locale.get(code);
      if (supportedLocales.has(language)) return Locale.get(language);
    }
    return Locale.get(defaultLocale);
  }

  /**
   * The locale of a supported code (see {@link getSupportedLocales}).
   * @throws InvalidArgumentError for a code that is not supported. Tornado: `Locale.get`.
   */
  static get(code: string): Locale {
    let locale = cache.get(code);
    if (locale === undefined) {
      if (!supportedLocales.has(code)) {
        throw new InvalidArgumentError(
          `locale ${JSON.stringify(code)} is not supported (loaded: ${[...supportedLocales].sort().join(", ")}); use getLocale() for the closest one`,
          "TYPHOON_ERR_UNSUPPORTED_LOCALE",
        );
      }
      const loaded = translations.get(code);
      locale = useGettext && loaded !== undefined ? new GettextLocale(code, loaded as GettextCatalog) : new CSVLocale(code, (loaded as CsvTranslations | undefined) ?? {});
      cache.set(code, locale);
    }
    return locale;
  }

  constructor(code: string) {
    this.code = code;
    this.name = LOCALE_NAMES[code]?.name ?? "Unknown";
    this.rtl = ["fa", "ar", "he"].some((prefix) => code.startsWith(prefix));
  }

  /**
   * The translation of `message`; with `pluralMessage` and `count`, of the form for that
   * count (`pluralMessage` when `count !== 1` if nothing is translated). Bound as `_` in
   * templates. Tornado: `translate`.
   */
  abstract translate(message: string, pluralMessage?: string, count?: number): string;

  /** `translate` within a context, for words with several meanings ("right" in law or ethics). Tornado: `pgettext`. */
  abstract pgettext(context: string, message: string, pluralMessage?: string, count?: number): string;

  /** The month names, translated. */
  get months(): readonly string[] {
    this.#months ??= ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"].map((month) =>
      this.translate(month),
    );
    return this.#months;
  }

  /** The weekday names, Monday first, translated. */
  get weekdays(): readonly string[] {
    this.#weekdays ??= ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"].map((day) => this.translate(day));
    return this.#weekdays;
  }

  /**
   * A UTC date (a `Date`, or seconds since the epoch) in words: relative for the recent
   * past ("2 minutes ago", "yesterday at 1:15 pm", "Monday at 9:00 am", "April 28 at …"),
   * else in full ("April 28, 2012 at 6:35 pm"); future dates are always in full. The
   * 12-hour clock is for English and Chinese, the 24-hour clock for every other locale.
   * Tornado: `format_date`.
   */
  formatDate(date: Date | number, options: FormatDateOptions = {}): string {
    const { gmtOffset = 0, relative = true, shorter = false } = options;
    let fullFormat = options.fullFormat ?? false;
    let time = typeof date === "number" ? date * 1000 : date.getTime();
    const now = Date.now();
    if (time > now) {
      // As Tornado, only the seconds part of the difference counts here: clock skew makes
      // some timestamps slightly future, and those are shown as now.
      if (relative && Math.floor((time - now) / 1000) % 86400 < 60) time = now;
      else fullFormat = true;
    }
    const minute = 60_000;
    const localDate = new Date(time - gmtOffset * minute);
    const localYesterday = new Date(now - gmtOffset * minute - 24 * 60 * minute);
    const difference = Math.floor((now - time) / 1000);
    const days = Math.floor(difference / 86400);
    const seconds = difference - days * 86400;
    const _ = (message: string, plural?: string, count?: number): string => this.translate(message, plural, count);
    let format: string | undefined;
    if (!fullFormat) {
      if (relative && days === 0) {
        if (seconds < 50) return interpolate(_("1 second ago", "%(seconds)d seconds ago", seconds), { seconds });
        if (seconds < 50 * 60) {
          const minutes = roundHalfEven(seconds / 60);
          return interpolate(_("1 minute ago", "%(minutes)d minutes ago", minutes), { minutes });
        }
        const hours = roundHalfEven(seconds / 3600);
        return interpolate(_("1 hour ago", "%(hours)d hours ago", hours), { hours });
      }
      if (days === 0) format = _("%(time)s");
      else if (days === 1 && localDate.getUTCDate() === localYesterday.getUTCDate() && relative) {
        format = shorter ? _("yesterday") : _("yesterday at %(time)s");
      } else if (days < 5) format = shorter ? _("%(weekday)s") : _("%(weekday)s at %(time)s");
      else if (days < 334) format = shorter ? _("%(month_name)s %(day)s") : _("%(month_name)s %(day)s at %(time)s");
    }
    format ??= shorter ? _("%(month_name)s %(day)s, %(year)s") : _("%(month_name)s %(day)s, %(year)s at %(time)s");
    return interpolate(format, {
      month_name: this.months[localDate.getUTCMonth()]!,
      weekday: this.weekdays[(localDate.getUTCDay() + 6) % 7]!,
      day: String(localDate.getUTCDate()),
      year: String(localDate.getUTCFullYear()),
      time: this.#clockTime(localDate),
    });
  }

  #clockTime(localDate: Date): string {
    const hour = localDate.getUTCHours();
    const minutes = String(localDate.getUTCMinutes()).padStart(2, "0");
    if (this.code === "zh_CN") return `${hour >= 12 ? "\u4e0b\u5348" : "\u4e0a\u5348"}${hour % 12 || 12}:${minutes}`;
    if (this.code === "en" || this.code === "en_US") return `${hour % 12 || 12}:${minutes} ${hour >= 12 ? "pm" : "am"}`;
    return `${hour}:${minutes}`;
  }

  /**
   * A UTC date as a day: "Monday, January 22", or "January 22" with `dow: false`.
   * `gmtOffset` as in {@link formatDate}. Tornado: `format_day`.
   */
  formatDay(date: Date, { gmtOffset = 0, dow = true }: { gmtOffset?: number; dow?: boolean } = {}): string {
    const local = new Date(date.getTime() - gmtOffset * 60_000);
    const values = {
      month_name: this.months[local.getUTCMonth()]!,
      weekday: this.weekdays[(local.getUTCDay() + 6) % 7]!,
      day: String(local.getUTCDate()),
    };
    return interpolate(dow ? this.translate("%(weekday)s, %(month_name)s %(day)s") : this.translate("%(month_name)s %(day)s"), values);
  }

  /** "A, B and C", "A and B", "A" or "" (Persian uses its own comma). Tornado: `list`. */
  list(parts: readonly string[]): string {
    if (parts.length === 0) return "";
    if (parts.length === 1) return parts[0]!;
    const comma = this.code.startsWith("fa") ? " \u0648 " : ", ";
    return interpolate(this.translate("%(commas)s and %(last)s"), { commas: parts.slice(0, -1).join(comma), last: parts.at(-1)! });
  }

  /** An integer with thousands separators in English ("1,000,000"), as it is otherwise. Tornado: `friendly_number`. */
  friendlyNumber(value: number | bigint): string {
    const text = String(value);
    if (this.code !== "en" && this.code !== "en_US") return text;
    return text.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
}

/** A locale with translations from CSV files ({@link loadTranslations}). Tornado: `CSVLocale`. */
export class CSVLocale extends Locale {
  /** Plural indicator → message → translation. */
  readonly translations: CsvTranslations;

  constructor(code: string, csvTranslations: CsvTranslations) {
    super(code);
    this.translations = csvTranslations;
  }

  override translate(message: string, pluralMessage?: string, count?: number): string {
    let messages: Record<string, string> | undefined;
    let chosen = message;
    if (pluralMessage !== undefined) {
      if (count === undefined) throw new InvalidArgumentError("translate() with a plural message needs the count", "TYPHOON_ERR_INVALID_ARGUMENT");
      if (count !== 1) {
        chosen = pluralMessage;
        messages = this.translations.plural;
      } else {
        messages = this.translations.singular;
      }
    } else {
      messages = this.translations.unknown;
    }
    return messages?.[chosen] ?? chosen;
  }

  /** CSV files have no contexts: logs a warning (when translations are loaded) and translates without one, as Tornado. */
  override pgettext(_context: string, message: string, pluralMessage?: string, count?: number): string {
    if (Object.keys(this.translations).length > 0) genLog.warning("pgettext is not supported by CSVLocale");
    return this.translate(message, pluralMessage, count);
  }
}

/** A locale with translations from a gettext catalog ({@link loadGettextTranslations}). Tornado: `GettextLocale`. */
export class GettextLocale extends Locale {
  readonly #catalog: GettextCatalog;

  constructor(code: string, catalog: GettextCatalog) {
    super(code);
    this.#catalog = catalog;
  }

  override translate(message: string, pluralMessage?: string, count?: number): string {
    if (pluralMessage === undefined) return this.#catalog.gettext(message);
    if (count === undefined) throw new InvalidArgumentError("translate() with a plural message needs the count", "TYPHOON_ERR_INVALID_ARGUMENT");
    return this.#catalog.ngettext(message, pluralMessage, count);
  }

  /**
   * @example
   * locale.pgettext("law", "right");                        // "le droit"
   * locale.pgettext("organization", "club", "clubs", 2);    // "les clubs"
   */
  override pgettext(context: string, message: string, pluralMessage?: string, count?: number): string {
    const key = `${context}${CONTEXT_SEPARATOR}${message}`;
    if (pluralMessage === undefined) {
      const result = this.#catalog.gettext(key);
      return result.includes(CONTEXT_SEPARATOR) ? message : result;
    }
    if (count === undefined) throw new InvalidArgumentError("pgettext() with a plural message needs the count", "TYPHOON_ERR_INVALID_ARGUMENT");
    const result = this.#catalog.ngettext(key, `${context}${CONTEXT_SEPARATOR}${pluralMessage}`, count);
    return result.includes(CONTEXT_SEPARATOR) ? this.#catalog.ngettext(message, pluralMessage, count) : result;
  }
}
