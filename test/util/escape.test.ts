// Mirrors tornado/test/escape_test.py (tornado.escape → src/util/escape.ts).
import { strict as assert } from "node:assert";
import { describe, test } from "node:test";
import {
  jsonDecode,
  jsonEncode,
  linkify,
  squeeze,
  toUnicode,
  urlEscape,
  urlUnescape,
  urlUnescapeToBuffer,
  utf8,
  xhtmlEscape,
  xhtmlUnescape,
  type LinkifyOptions,
} from "typhoon";

// [input, linkify options, expected output] — tornado/test/escape_test.py::linkify_tests
const linkifyTests: [string, LinkifyOptions, string][] = [
  ["hello http://world.com/!", {}, 'hello <a href="http://world.com/">http://world.com/</a>!'],
  [
    "hello http://world.com/with?param=true&stuff=yes",
    {},
    'hello <a href="http://world.com/with?param=true&amp;stuff=yes">http://world.com/with?param=true&amp;stuff=yes</a>',
  ],
  // an opened paren followed by many chars killed Gruber's regex
  [
    "http://url.com/w(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    {},
    '<a href="http://url.com/w">http://url.com/w</a>(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  ],
  // as did too many dots at the end
  [
    "http://url.com/withmany.......................................",
    {},
    '<a href="http://url.com/withmany">http://url.com/withmany</a>.......................................',
  ],
  [
    "http://url.com/withmany((((((((((((((((((((((((((((((((((a)",
    {},
    '<a href="http://url.com/withmany">http://url.com/withmany</a>((((((((((((((((((((((((((((((((((a)',
  ],
  // some examples from http://daringfireball.net/2009/11/liberal_regex_for_matching_urls
  // plus a few extras (such as multiple parentheses).
  ["http://foo.com/blah_blah", {}, '<a href="http://foo.com/blah_blah">http://foo.com/blah_blah</a>'],
  ["http://foo.com/blah_blah/", {}, '<a href="http://foo.com/blah_blah/">http://foo.com/blah_blah/</a>'],
  [
    "(Something like http://foo.com/blah_blah)",
    {},
    '(Something like <a href="http://foo.com/blah_blah">http://foo.com/blah_blah</a>)',
  ],
  [
    "http://foo.com/blah_blah_(wikipedia)",
    {},
    '<a href="http://foo.com/blah_blah_(wikipedia)">http://foo.com/blah_blah_(wikipedia)</a>',
  ],
  [
    "http://foo.com/blah_(blah)_(wikipedia)_blah",
    {},
    '<a href="http://foo.com/blah_(blah)_(wikipedia)_blah">http://foo.com/blah_(blah)_(wikipedia)_blah</a>',
  ],
  [
    "(Something like http://foo.com/blah_blah_(wikipedia))",
    {},
    '(Something like <a href="http://foo.com/blah_blah_(wikipedia)">http://foo.com/blah_blah_(wikipedia)</a>)',
  ],
  ["http://foo.com/blah_blah.", {}, '<a href="http://foo.com/blah_blah">http://foo.com/blah_blah</a>.'],
  ["http://foo.com/blah_blah/.", {}, '<a href="http://foo.com/blah_blah/">http://foo.com/blah_blah/</a>.'],
  ["<http://foo.com/blah_blah>", {}, '&lt;<a href="http://foo.com/blah_blah">http://foo.com/blah_blah</a>&gt;'],
  ["<http://foo.com/blah_blah/>", {}, '&lt;<a href="http://foo.com/blah_blah/">http://foo.com/blah_blah/</a>&gt;'],
  ["http://foo.com/blah_blah,", {}, '<a href="http://foo.com/blah_blah">http://foo.com/blah_blah</a>,'],
  [
    "http://www.example.com/wpstyle/?p=364.",
    {},
    '<a href="http://www.example.com/wpstyle/?p=364">http://www.example.com/wpstyle/?p=364</a>.',
  ],
  ["rdar://1234", { permittedProtocols: ["http", "rdar"] }, '<a href="rdar://1234">rdar://1234</a>'],
  ["rdar:/1234", { permittedProtocols: ["rdar"] }, '<a href="rdar:/1234">rdar:/1234</a>'],
  [
    "http://userid:password@example.com:8080",
    {},
    '<a href="http://userid:password@example.com:8080">http://userid:password@example.com:8080</a>',
  ],
  ["http://userid@example.com", {}, '<a href="http://userid@example.com">http://userid@example.com</a>'],
  ["http://userid@example.com:8080", {}, '<a href="http://userid@example.com:8080">http://userid@example.com:8080</a>'],
  [
    "http://userid:password@example.com",
    {},
    '<a href="http://userid:password@example.com">http://userid:password@example.com</a>',
  ],
  [
    "message://%3c330e7f8409726r6a4ba78dkf1fd71420c1bf6ff@mail.gmail.com%3e",
    { permittedProtocols: ["http", "message"] },
    '<a href="message://%3c330e7f8409726r6a4ba78dkf1fd71420c1bf6ff@mail.gmail.com%3e">' +
      "message://%3c330e7f8409726r6a4ba78dkf1fd71420c1bf6ff@mail.gmail.com%3e</a>",
  ],
  ["http://\u27a1.ws/\u4a39", {}, '<a href="http://\u27a1.ws/\u4a39">http://\u27a1.ws/\u4a39</a>'],
  [
    "<tag>http://example.com</tag>",
    {},
    '&lt;tag&gt;<a href="http://example.com">http://example.com</a>&lt;/tag&gt;',
  ],
  ["Just a www.example.com link.", {}, 'Just a <a href="http://www.example.com">www.example.com</a> link.'],
  ["Just a www.example.com link.", { requireProtocol: true }, "Just a www.example.com link."],
  [
    "A http://reallylong.com/link/that/exceedsthelenglimit.html",
    { requireProtocol: true, shorten: true },
    'A <a href="http://reallylong.com/link/that/exceedsthelenglimit.html"' +
      ' title="http://reallylong.com/link/that/exceedsthelenglimit.html">http://reallylong.com/link...</a>',
  ],
  [
    "A http://reallylongdomainnamethatwillbetoolong.com/hi!",
    { shorten: true },
    'A <a href="http://reallylongdomainnamethatwillbetoolong.com/hi"' +
      ' title="http://reallylongdomainnamethatwillbetoolong.com/hi">http://reallylongdomainnametha...</a>!',
  ],
  [
    "A file:///passwords.txt and http://web.com link",
    {},
    'A file:///passwords.txt and <a href="http://web.com">http://web.com</a> link',
  ],
  [
    "A file:///passwords.txt and http://web.com link",
    { permittedProtocols: ["file"] },
    'A <a href="file:///passwords.txt">file:///passwords.txt</a> and http://web.com link',
  ],
  [
    "www.external-link.com",
    { extraParams: 'rel="nofollow" class="external"' },
    '<a href="http://www.external-link.com" rel="nofollow" class="external">www.external-link.com</a>',
  ],
  [
    "www.external-link.com and www.internal-link.com/blogs extra",
    {
      extraParams: (href) =>
        href.startsWith("http://www.internal-link.com") ? 'class="internal"' : 'rel="nofollow" class="external"',
    },
    '<a href="http://www.external-link.com" rel="nofollow" class="external">www.external-link.com</a>' +
      ' and <a href="http://www.internal-link.com/blogs" class="internal">www.internal-link.com/blogs</a> extra',
  ],
  [
    "www.external-link.com",
    { extraParams: () => '    rel="nofollow" class="external"  ' },
    '<a href="http://www.external-link.com" rel="nofollow" class="external">www.external-link.com</a>',
  ],
];

// tornado/test/escape_test.py::EscapeTestCase
void describe("EscapeTestCase", () => {
  void test("test_linkify", () => {
    for (const [text, options, html] of linkifyTests) {
      assert.equal(linkify(text, options), html, text);
    }
  });

  void test("test_xhtml_escape", () => {
    const tests: [string | Buffer, string | Buffer][] = [
      ["<foo>", "&lt;foo&gt;"],
      [Buffer.from("<foo>"), Buffer.from("&lt;foo&gt;")],
      ["<>&\"'", "&lt;&gt;&amp;&quot;&#39;"],
      ["&amp;", "&amp;amp;"],
      ["<\u00e9>", "&lt;\u00e9&gt;"],
      [Buffer.from([0x3c, 0xc3, 0xa9, 0x3e]), Buffer.from([0x26, 0x6c, 0x74, 0x3b, 0xc3, 0xa9, 0x26, 0x67, 0x74, 0x3b])],
    ];
    for (const [unescaped, escaped] of tests) {
      assert.deepEqual(utf8(xhtmlEscape(unescaped)), utf8(escaped));
      assert.deepEqual(utf8(unescaped), utf8(xhtmlUnescape(escaped)));
    }
  });

  void test("test_xhtml_unescape_numeric", () => {
    const tests: [string, string][] = [
      ["foo&#32;bar", "foo bar"],
      ["foo&#x20;bar", "foo bar"],
      ["foo&#X20;bar", "foo bar"],
      ["foo&#xabc;bar", "foo\u0abcbar"],
      ["foo&#xyz;bar", "foo&#xyz;bar"], // invalid encoding
      ["foo&#;bar", "foo&#;bar"], // invalid encoding
      ["foo&#x;bar", "foo&#x;bar"], // invalid encoding
    ];
    for (const [escaped, unescaped] of tests) assert.equal(xhtmlUnescape(escaped), unescaped);
  });

  void test("test_url_escape_unicode", () => {
    const tests: [string | Buffer, string][] = [
      // byte strings are passed through as-is
      [Buffer.from("\u00e9", "utf8"), "%C3%A9"],
      [Buffer.from("\u00e9", "latin1"), "%E9"],
      // unicode strings become utf8
      ["\u00e9", "%C3%A9"],
    ];
    for (const [unescaped, escaped] of tests) assert.equal(urlEscape(unescaped), escaped);
  });

  void test("test_url_unescape_unicode", () => {
    // Tornado's encoding argument: "utf8" is urlUnescape, latin1 and None (bytes) go through urlUnescapeToBuffer.
    for (const escaped of ["%C3%A9", Buffer.from("%C3%A9")]) {
      assert.equal(urlUnescape(escaped), "\u00e9");
    }
    assert.equal(urlUnescapeToBuffer("%C3%A9").toString("latin1"), "\u00c3\u00a9");
    assert.deepEqual(urlUnescapeToBuffer("%C3%A9"), utf8("\u00e9"));
  });

  void test("test_url_escape_quote_plus", () => {
    const unescaped = "+ #%";
    const plusEscaped = "%2B+%23%25";
    const escaped = "%2B%20%23%25";
    assert.equal(urlEscape(unescaped), plusEscaped);
    assert.equal(urlEscape(unescaped, false), escaped);
    assert.equal(urlUnescape(plusEscaped), unescaped);
    assert.equal(urlUnescape(escaped, false), unescaped);
    assert.deepEqual(urlUnescapeToBuffer(plusEscaped), utf8(unescaped));
    assert.deepEqual(urlUnescapeToBuffer(escaped, false), utf8(unescaped));
  });

  void test("test_escape_return_types", () => {
    // Tornado checks str in, str out; in JavaScript every escape function returns a string.
    assert.equal(typeof xhtmlEscape("foo"), "string");
    assert.equal(typeof xhtmlEscape(Buffer.from("foo")), "string");
  });

  void test("test_json_decode", () => {
    // jsonDecode accepts both bytes and strings, but strings it returns are always strings.
    assert.equal(jsonDecode(Buffer.from('"foo"')), "foo");
    assert.equal(jsonDecode('"foo"'), "foo");
    // Non-ascii bytes are interpreted as utf8
    assert.equal(jsonDecode(utf8('"\u00e9"')), "\u00e9");
  });

  void test("test_json_encode", () => {
    assert.equal(jsonDecode(jsonEncode("\u00e9")), "\u00e9");
    // Tornado's json_encode escapes "</" so JSON can sit inside a <script> element.
    assert.equal(jsonEncode("</script>"), '"<\\/script>"');
    assert.throws(() => jsonEncode(undefined), TypeError);
  });

  void test("test_squeeze", () => {
    assert.equal(squeeze("sequences     of    whitespace   chars"), "sequences of whitespace chars");
  });

  // test_recursive_unicode: tornado.escape.recursive_unicode has no Typhoon counterpart (API.md
  // does not list it): JavaScript strings need no bytes → str conversion of nested containers.

  void test("utf8 and toUnicode pass through values of the other type, null and undefined", () => {
    assert.deepEqual(utf8("\u00e9"), Buffer.from([0xc3, 0xa9]));
    assert.equal(utf8(null), null);
    assert.equal(toUnicode(Buffer.from([0xc3, 0xa9])), "\u00e9");
    assert.equal(toUnicode(undefined), undefined);
    assert.throws(() => toUnicode(Buffer.from([0xe9])), TypeError);
  });

  void test("xhtmlEscape renders null and undefined as the empty string", () => {
    assert.equal(xhtmlEscape(null), "");
    assert.equal(xhtmlEscape(undefined), "");
    assert.equal(xhtmlEscape(5), "5");
  });
});

void describe("urlEscape of bytes", () => {
  void test("escapes every byte but A-Z a-z 0-9 _ . - ~ (and / without plus), as Python's quote", () => {
    const bytes = Buffer.from([0x00, 0x20, 0x2f, 0x41, 0x7e, 0x2b, 0xff]);
    assert.equal(urlEscape(bytes), "%00+%2FA~%2B%FF");
    assert.equal(urlEscape(bytes, false), "%00%20/A~%2B%FF");
    // The same text as a string and as UTF-8 bytes escapes the same way.
    const text = "a b/c?d=é&e*(f)!'";
    assert.equal(urlEscape(Buffer.from(text)), urlEscape(text));
    assert.equal(urlEscape(Buffer.from(text), false), urlEscape(text, false));
  });
});
