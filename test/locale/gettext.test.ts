// Tests of the .mo reader and Plural-Forms compiler behind loadGettextTranslations.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { compilePluralRule, parseMoFile } from "../../src/locale/gettext.js";

/** A .mo file with the given entries, in either byte order, as msgfmt writes them. */
function buildMo(entries: [string, string][], bigEndian = false): Buffer {
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : 1));
  const header = 28;
  const tables = header + sorted.length * 16;
  const strings: Buffer[] = [];
  let offset = tables;
  const place = (text: string): [number, number] => {
    const bytes = Buffer.from(`${text}\0`, "utf8");
    strings.push(bytes);
    const at = offset;
    offset += bytes.length;
    return [bytes.length - 1, at];
  };
  const originals = sorted.map(([original]) => place(original));
  const translations = sorted.map(([, translation]) => place(translation));
  const head = Buffer.alloc(tables);
  const write = (value: number, at: number): number => (bigEndian ? head.writeUInt32BE(value, at) : head.writeUInt32LE(value, at));
  write(0x950412de, 0);
  write(0, 4);
  write(sorted.length, 8);
  write(header, 12);
  write(header + sorted.length * 8, 16);
  [...originals, ...translations].forEach(([length, at], i) => {
    write(length, header + i * 8);
    write(at, header + i * 8 + 4);
  });
  return Buffer.concat([head, ...strings]);
}

describe("parseMoFile", () => {
  test("Tornado's fr_FR catalog: messages, contexts, plurals", () => {
    const catalog = parseMoFile(readFileSync(new URL("./fixtures/gettext_translations/fr_FR/LC_MESSAGES/tornado_test.mo", import.meta.url)));
    assert.equal(catalog.gettext("school"), "\u00e9cole");
    assert.equal(catalog.gettext("law\x04right"), "le droit");
    assert.equal(catalog.ngettext("organization\x04club", "organization\x04clubs", 5), "les clubs");
    assert.equal(catalog.gettext("missing"), "missing");
  });

  test("both byte orders; the catalog's Plural-Forms picks the form", () => {
    const entries: [string, string][] = [
      ["", "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\n"],
      ["file\0files", "plik\0pliki\0plików"],
    ];
    for (const bigEndian of [false, true]) {
      const catalog = parseMoFile(buildMo(entries, bigEndian));
      assert.deepEqual(
        [1, 2, 5, 12, 22, 101].map((n) => catalog.ngettext("file", "files", n)),
        ["plik", "pliki", "plików", "plików", "pliki", "plik"],
      );
      assert.equal(catalog.ngettext("dir", "dirs", 2), "dirs", "untranslated: English's rule");
    }
  });

  test("files that are not catalogs are clear errors", () => {
    assert.throws(() => parseMoFile(Buffer.from("short")), { code: "TYPHOON_ERR_BAD_CATALOG", message: /too short/ });
    assert.throws(() => parseMoFile(Buffer.alloc(32)), /magic number/);
    const truncated = buildMo([["a", "b"]]).subarray(0, 40);
    assert.throws(() => parseMoFile(truncated), /truncated|past the end/);
  });
});

describe("compilePluralRule", () => {
  test("C's operators and precedence over n", () => {
    assert.equal(compilePluralRule("n != 1")(1), 0);
    assert.equal(compilePluralRule("(n != 1)")(0), 1);
    assert.equal(compilePluralRule("n > 1")(0), 0);
    assert.equal(compilePluralRule("0")(7), 0);
    assert.equal(compilePluralRule("n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5")(105), 3);
    assert.equal(compilePluralRule("!(n == 1) + 2 * 3 - 1")(1), 5);
    assert.equal(compilePluralRule("n / 2")(5), 2, "integer division");
  });

  test("anything but that grammar is refused, never evaluated", () => {
    for (const bad of ["", "n ==", "process.exit(1)", "n ? 1", "(n", "n)", "m + 1", "n = 1"]) {
      assert.throws(() => compilePluralRule(bad), { code: "TYPHOON_ERR_BAD_CATALOG" }, bad);
    }
  });
});
