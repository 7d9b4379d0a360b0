// Tests of the CSV reader behind loadTranslations (Python's csv module, "excel" dialect).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCsv } from "../../src/locale/csv.js";

test("quoted and bare fields, doubled quotes, commas and newlines inside quotes, CRLF", () => {
  const rows = parseCsv('"a","b ""c""",plain\r\n"multi\nline",x\n\n"last",""');
  assert.deepEqual(rows, [
    { fields: ["a", 'b "c"', "plain"], line: 1 },
    { fields: ["multi\nline", "x"], line: 2 },
    { fields: [], line: 4 },
    { fields: ["last", ""], line: 5 },
  ]);
});

test("a long line of separators parses in linear time", () => {
  const started = process.hrtime.bigint();
  const rows = parseCsv(`${",".repeat(200_000)}\n`);
  assert.equal(rows[0]!.fields.length, 200_001);
  assert.ok(process.hrtime.bigint() - started < 2_000_000_000n, "parsing 200,000 separators stays far below quadratic time");
});
