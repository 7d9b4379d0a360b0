// Tests of typhoon's locale module, mirroring tornado/test/locale_test.py and web_test.py's locale cases.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  Application,
  CSVLocale,
  DictLoader,
  expectLog,
  genLog,
  getLocale,
  getSupportedLocales,
  GettextLocale,
  interpolate,
  loadGettextTranslations,
  loadTranslations,
  Locale,
  LOCALE_NAMES,
  RequestHandler,
  setDefaultLocale,
} from "typhoon";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const csvDir = join(fixtures, "csv_translations");
const gettextDir = join(fixtures, "gettext_translations");

async function withDirectory(files: Record<string, string | Buffer>, fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "typhoon-locale-"));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true });
  }
}

describe("TranslationLoaderTest (tornado/test/locale_test.py)", () => {
  test("test_csv", () => {
    loadTranslations(csvDir);
    const locale = getLocale("fr_FR");
    assert.ok(locale instanceof CSVLocale, "CSV translations make CSVLocales");
    assert.equal(locale.translate("school"), "\u00e9cole");
    assert.equal(locale.name, "Français");
    assert.deepEqual([...getSupportedLocales()].sort(), ["en_US", "fr_FR"]);
  });

  test("test_csv_bom: UTF-8 with a BOM and UTF-16 (either byte order) are detected", async () => {
    const text = await readFile(join(csvDir, "fr_FR.csv"), "utf8");
    const utf16be = Buffer.from(`\ufeff${text}`, "utf16le").swap16();
    for (const data of [Buffer.from(`\ufeff${text}`, "utf8"), Buffer.from(`\ufeff${text}`, "utf16le"), utf16be]) {
      await withDirectory({ "fr_FR.csv": data }, (dir) => {
        loadTranslations(dir);
        assert.equal(getLocale("fr_FR").translate("school"), "\u00e9cole");
      });
    }
  });

  test("test_gettext: translations, contexts and plural forms from a .mo catalog", () => {
    loadGettextTranslations(gettextDir, "tornado_test");
    const locale = getLocale("fr_FR");
    assert.ok(locale instanceof GettextLocale, "gettext catalogs make GettextLocales");
    assert.equal(locale.translate("school"), "\u00e9cole");
    assert.equal(locale.pgettext("law", "right"), "le droit");
    assert.equal(locale.pgettext("good", "right"), "le bien");
    assert.equal(locale.pgettext("organization", "club", "clubs", 1), "le club");
    assert.equal(locale.pgettext("organization", "club", "clubs", 2), "les clubs");
    assert.equal(locale.pgettext("stick", "club", "clubs", 1), "le b\u00e2ton");
    assert.equal(locale.pgettext("stick", "club", "clubs", 2), "les b\u00e2tons");
    // The catalog's Plural-Forms is (n > 1): zero is singular in French.
    assert.equal(locale.pgettext("stick", "club", "clubs", 0), "le b\u00e2ton");
    assert.equal(locale.pgettext("unknown context", "right"), "right");
    assert.equal(locale.translate("untranslated", "untranslateds", 2), "untranslateds");
  });

  test("plural rows, bad plural indicators and bad file names are logged and skipped", async () => {
    const csv = [
      '"school","école"',
      '"%(name)s liked this","A %(name)s les gustó esto","plural"',
      '"%(name)s liked this","A %(name)s le gustó esto","singular"',
      '"two words, with a comma","deux ""mots"", une virgule"',
      '"cat","chat","feline"',
      "",
      '"lonely"',
    ].join("\r\n");
    await withDirectory({ "es_LA.csv": csv, "not-a-locale.csv": '"a","b"', "README.txt": "ignored" }, async (dir) => {
      await expectLog(genLog, /Unrecognized (plural indicator 'feline' in es_LA\.csv line 5|locale 'not-a-locale')/, () => loadTranslations(dir));
      const locale = getLocale("es_LA");
      assert.equal(interpolate(locale.translate("%(name)s liked this", "%(name)s liked this", 1), { name: "Ann" }), "A Ann le gustó esto");
      assert.equal(interpolate(locale.translate("%(name)s liked this", "%(name)s liked this", 2), { name: "Ann y Bob" }), "A Ann y Bob les gustó esto");
      assert.equal(locale.translate("two words, with a comma"), 'deux "mots", une virgule');
      assert.equal(locale.translate("cat"), "cat");
      assert.deepEqual([...getSupportedLocales()].sort(), ["en_US", "es_LA"]);
    });
  });

  test("a broken .mo catalog is logged and skipped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "typhoon-gettext-"));
    try {
      const { mkdir } = await import("node:fs/promises");
      await mkdir(join(dir, "de_DE", "LC_MESSAGES"), { recursive: true });
      await writeFile(join(dir, "de_DE", "LC_MESSAGES", "app.mo"), "not a catalog at all");
      await expectLog(genLog, /Cannot load translation for 'de_DE': not a valid gettext catalog/, () => loadGettextTranslations(dir, "app"));
      assert.deepEqual([...getSupportedLocales()], ["en_US"]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  test("pgettext on a CSV locale warns and ignores the context, as Tornado", async () => {
    loadTranslations(csvDir);
    const locale = getLocale("fr_FR");
    await expectLog(genLog, /pgettext is not supported by CSVLocale/, () => {
      assert.equal(locale.pgettext("education", "school"), "\u00e9cole");
    });
  });
});

describe("choosing a locale", () => {
  test("get_closest: exact code, then language; dashes and case normalised; default last", async () => {
    await withDirectory({ "fr.csv": '"school","école"', "pt_BR.csv": '"school","escola"' }, (dir) => {
      loadTranslations(dir);
      assert.equal(getLocale("pt-br").code, "pt_BR");
      assert.equal(getLocale("fr_CA").code, "fr");
      assert.equal(getLocale("de_DE", "FR").code, "fr");
      assert.equal(getLocale("a_b_c", null, "").code, "en_US");
      assert.equal(Locale.getClosest().code, "en_US");
      assert.equal(Locale.get("fr"), getLocale("fr"), "locales are cached");
      assert.throws(() => Locale.get("de_DE"), { code: "TYPHOON_ERR_UNSUPPORTED_LOCALE", message: /locale "de_DE" is not supported \(loaded: en_US, fr, pt_BR\)/ });
      setDefaultLocale("pt_BR");
      try {
        assert.equal(getLocale("xx").code, "pt_BR");
      } finally {
        setDefaultLocale("en_US");
      }
    });
  });

  test("LocaleDataTest.test_non_ascii_name; rtl for Persian, Arabic and Hebrew", async () => {
    assert.equal(LOCALE_NAMES["es_LA"]?.name, "Espa\u00f1ol");
    await withDirectory({ "fa_IR.csv": "", "he_IL.csv": "" }, (dir) => {
      loadTranslations(dir);
      assert.equal(getLocale("fa_IR").rtl, true);
      assert.equal(getLocale("he_IL").name, "עברית");
      assert.equal(getLocale("en_US").rtl, false);
    });
  });
});

describe("EnglishTest (tornado/test/locale_test.py)", () => {
  const english = (): Locale => {
    loadTranslations(csvDir);
    return getLocale("en_US");
  };
  const ago = (seconds: number): Date => new Date(Date.now() - seconds * 1000);

  test("test_format_date", () => {
    const locale = english();
    assert.equal(locale.formatDate(new Date(Date.UTC(2013, 3, 28, 18, 35)), { fullFormat: true }), "April 28, 2013 at 6:35 pm");
    assert.equal(locale.formatDate(ago(2)), "2 seconds ago");
    assert.equal(locale.formatDate(ago(1)), "1 second ago");
    assert.equal(locale.formatDate(ago(120)), "2 minutes ago");
    assert.equal(locale.formatDate(ago(7200)), "2 hours ago");
    assert.equal(locale.formatDate(ago(86400), { shorter: true }), "yesterday");
    const twoDays = ago(2 * 86400);
    assert.equal(locale.formatDate(twoDays, { shorter: true }), locale.weekdays[(twoDays.getUTCDay() + 6) % 7]);
    const days300 = ago(300 * 86400);
    assert.equal(locale.formatDate(days300, { shorter: true }), `${locale.months[days300.getUTCMonth()]} ${days300.getUTCDate()}`);
    const days500 = ago(500 * 86400);
    assert.equal(locale.formatDate(days500, { shorter: true }), `${locale.months[days500.getUTCMonth()]} ${days500.getUTCDate()}, ${days500.getUTCFullYear()}`);
  });

  test("format_date: seconds since the epoch, gmtOffset, future dates, relative: false, 24-hour locales", async () => {
    const locale = english();
    assert.equal(locale.formatDate(Date.UTC(2013, 3, 28, 18, 35) / 1000, { fullFormat: true, gmtOffset: 120 }), "April 28, 2013 at 4:35 pm");
    assert.equal(locale.formatDate(new Date(Date.now() + 10_000)), "0 seconds ago", "slightly future dates are now, as Tornado");
    assert.match(locale.formatDate(new Date(Date.now() + 3600_000)), /^\w+ \d+, \d{4} at \d+:\d\d [ap]m$/);
    assert.match(locale.formatDate(ago(120), { relative: false }), /^\d+:\d\d [ap]m$/);
    // Python's round(): 150 s is 2.5 minutes, rounded to the even 2.
    assert.equal(locale.formatDate(ago(150)), "2 minutes ago");
    await withDirectory({ "de_DE.csv": '"April","April"', "zh_CN.csv": "" }, (dir) => {
      loadTranslations(dir);
      const date = new Date(Date.UTC(2013, 3, 28, 18, 5));
      assert.equal(getLocale("de_DE").formatDate(date, { fullFormat: true }), "April 28, 2013 at 18:05");
      assert.equal(getLocale("zh_CN").formatDate(date, { fullFormat: true }), "April 28, 2013 at \u4e0b\u53486:05");
    });
  });

  test("test_friendly_number", () => {
    const locale = english();
    assert.equal(locale.friendlyNumber(1000000), "1,000,000");
    assert.equal(locale.friendlyNumber(999), "999");
    assert.equal(locale.friendlyNumber(-1234567n), "-1,234,567");
  });

  test("test_list", () => {
    const locale = english();
    assert.equal(locale.list([]), "");
    assert.equal(locale.list(["A"]), "A");
    assert.equal(locale.list(["A", "B"]), "A and B");
    assert.equal(locale.list(["A", "B", "C"]), "A, B and C");
  });

  test("test_format_day", () => {
    const locale = english();
    const date = new Date(Date.UTC(2013, 3, 28, 18, 35));
    assert.equal(locale.formatDay(date, { dow: true }), "Sunday, April 28");
    assert.equal(locale.formatDay(date, { dow: false }), "April 28");
    assert.equal(locale.formatDay(date, { gmtOffset: 24 * 60 }), "Saturday, April 27");
  });

  test("dates in a translated locale use the translated month and weekday names", async () => {
    const csv = ['"April","avril"', '"Sunday","dimanche"', '"%(weekday)s, %(month_name)s %(day)s","%(weekday)s %(day)s %(month_name)s"'].join("\n");
    await withDirectory({ "fr_FR.csv": csv }, (dir) => {
      loadTranslations(dir);
      assert.equal(getLocale("fr_FR").formatDay(new Date(Date.UTC(2013, 3, 28))), "dimanche 28 avril");
    });
  });
});

describe("locales in handlers (web_test.py)", () => {
  test("AcceptLanguageTest: test_accept_language, _ignore, _invalid", async () => {
    loadGettextTranslations(gettextDir, "tornado_test");
    class AcceptLanguageHandler extends RequestHandler {
      get() {
        this.setHeader("Content-Language", this.getBrowserLocale().code.replace("_", "-"));
        return this.finish("");
      }
    }
    const app = new Application([["/", AcceptLanguageHandler]]);
    for (const [header, expected] of [
      ["fr-FR;q=0.9", "fr-FR"],
      ["fr-FR; q=0.9", "fr-FR"],
      ["fr-FR;q=0", "en-US"],
      ["fr-FR;q=-1", "en-US"],
      ["fr-FR;q=abc", "en-US"],
      ["de;q=0.8, fr-FR;q=0.9, *;q=0.1", "fr-FR"],
      ["", "en-US"],
    ] as const) {
      const response = await app.inject({ url: "/", headers: { "Accept-Language": header } });
      assert.equal(response.headers.get("Content-Language"), expected, header);
    }
  });

  // Typhoon resolves getCurrentUser() before prepare() (API.md), so only the locale is lazy here.
  test("SetLazyPropertiesTest.test_set_properties: locale and currentUser may be assigned", async () => {
    class Handler extends RequestHandler<string> {
      override prepare() {
        this.currentUser = "Ben";
        this.locale = getLocale("en_US");
      }
      override getUserLocale(): Locale | null {
        throw new Error("not called when the locale is assigned");
      }
      get() {
        this.write(`Hello ${this.currentUser} (${this.locale.code})`);
      }
    }
    assert.equal((await new Application([["/", Handler]]).inject({ url: "/" })).text, "Hello Ben (en_US)");
  });

  test("getUserLocale wins over the browser; templates get locale, _ and pgettext", async () => {
    loadGettextTranslations(gettextDir, "tornado_test");
    class Handler extends RequestHandler {
      override getUserLocale(): Locale | null {
        return this.getQueryArgument("lang", null) === null ? null : getLocale(this.getQueryArgument("lang"));
      }
      get() {
        return this.render("page.html");
      }
    }
    const templates = new DictLoader({
      "page.html": '{{ locale.code }}: {{ _("school") }}, {{ pgettext("law", "right") }}, {{ pgettext("stick", "club", "clubs", 2) }}, {{ _("book", "books", 3) }}',
    });
    const app = new Application([["/", Handler]], { templateLoader: templates });
    const french = await app.inject({ url: "/?lang=fr_FR", headers: { "Accept-Language": "en" } });
    assert.equal(french.text, "fr_FR: \u00e9cole, le droit, les b\u00e2tons, books");
    const browser = await app.inject({ url: "/", headers: { "Accept-Language": "en;q=0.5, fr-FR" } });
    assert.equal(browser.text, "fr_FR: \u00e9cole, le droit, les b\u00e2tons, books");
    const english = await app.inject({ url: "/" });
    assert.equal(english.text, "en_US: school, right, clubs, books");
  });
});
