// Tests of the Range/Content-Range helpers. Mirrors the doctests of tornado/httputil.py
// (_parse_request_range, _get_content_range), which httputil_test.py runs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatContentRange, parseRequestRange } from "typhoon";

describe("parseRequestRange (httputil._parse_request_range doctests)", () => {
  test("bytes=1-2 is the slice [1, 3)", () => {
    const range = parseRequestRange("bytes=1-2")!;
    assert.deepEqual(range, [1, 3]);
    assert.deepEqual([0, 1, 2, 3, 4].slice(range[0], range[1]), [1, 2]);
  });

  test("open-ended, suffix and empty ranges", () => {
    assert.deepEqual(parseRequestRange("bytes=6-"), [6, undefined]);
    assert.deepEqual(parseRequestRange("bytes=-6"), [-6, undefined]);
    assert.deepEqual(parseRequestRange("bytes=-0"), [undefined, 0]);
    assert.deepEqual(parseRequestRange("bytes="), [undefined, undefined]);
    assert.deepEqual(parseRequestRange("bytes=0-0"), [0, 1]);
  });

  test("other units and several ranges are not understood", () => {
    assert.equal(parseRequestRange("foo=42"), null);
    assert.equal(parseRequestRange("bytes=1-2,6-10"), null);
  });

  test("whitespace around the unit and numbers is ignored, as Python's strip/int", () => {
    assert.deepEqual(parseRequestRange(" bytes = 1 - 2 "), [1, 3]);
  });

  test("malformed numbers are null, never NaN", () => {
    for (const header of ["bytes=a-b", "bytes=1-x", "bytes=0x10-", "bytes=1.5-2", "bytes=-1-2", `bytes=${"9".repeat(30)}-`, "bytes"]) {
      const parsed = parseRequestRange(header);
      assert.ok(parsed === null || parsed.every((n) => n === undefined || Number.isSafeInteger(n)), header);
    }
    assert.equal(parseRequestRange("bytes=a-b"), null);
    assert.equal(parseRequestRange(`bytes=${"9".repeat(30)}-`), null);
  });
});

describe("formatContentRange (httputil._get_content_range doctests)", () => {
  test("inclusive byte positions and the total", () => {
    assert.equal(formatContentRange(undefined, 1, 4), "bytes 0-0/4");
    assert.equal(formatContentRange(1, 3, 4), "bytes 1-2/4");
    assert.equal(formatContentRange(undefined, undefined, 4), "bytes 0-3/4");
  });
});
