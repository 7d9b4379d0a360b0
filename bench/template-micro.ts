// Micro-benchmark of the template engine: generate() of a 100-row page with 3 escaped fields
// per row, against a hand-written template-literal function producing the same string.
// Run: node --conditions=typhoon-source --import tsx bench/template-micro.ts
import { strict as assert } from "node:assert";
import { xhtmlEscape } from "typhoon";
import { Template } from "typhoon/template";

interface Row {
  id: number;
  name: string;
  email: string;
}

const rows: Row[] = Array.from({ length: 100 }, (_, i) => ({
  id: i,
  name: `User <${i}> & "friends"`,
  email: `user${i}@example.com`,
}));

const template = new Template(
  "<table>\n{% for row in rows %}<tr><td>{{ row.id }}</td><td>{{ row.name }}</td><td>{{ row.email }}</td></tr>\n{% end %}</table>\n",
  { name: "rows.txt" },
);

function handWritten(data: { rows: Row[] }): string {
  let out = "<table>\n";
  for (const row of data.rows) {
    out += `<tr><td>${xhtmlEscape(row.id)}</td><td>${xhtmlEscape(row.name)}</td><td>${xhtmlEscape(row.email)}</td></tr>\n`;
  }
  return out + "</table>\n";
}

const namespace = { rows };
assert.equal(template.generate(namespace), handWritten(namespace));

/** Runs `fn` for about `ms` milliseconds and returns the calls per second. */
function measure(fn: () => string, ms: number): number {
  let sink = 0;
  let calls = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) sink += fn().length;
    calls += 100;
  }
  const elapsed = performance.now() - start;
  // Using the results keeps the calls from being optimised away.
  if (sink === 0) throw new Error("nothing rendered");
  return (calls / elapsed) * 1000;
}

/** Median rates of `template` and `hand` over alternating rounds, after a warm-up of both. */
function compare(templateFn: () => string, handFn: () => string): { template: number; hand: number } {
  measure(templateFn, 300);
  measure(handFn, 300);
  const templateRates: number[] = [];
  const handRates: number[] = [];
  for (let round = 0; round < 5; round++) {
    templateRates.push(measure(templateFn, 200));
    handRates.push(measure(handFn, 200));
  }
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { template: median(templateRates), hand: median(handRates) };
}

function report(label: string, rates: { template: number; hand: number }): void {
  process.stdout.write(
    `${label}\n` +
      `  template generate(): ${rates.template.toFixed(0)} renders/s\n` +
      `  hand-written literal: ${rates.hand.toFixed(0)} renders/s\n` +
      `  ratio (time template / time hand-written): ${(rates.hand / rates.template).toFixed(2)} (budget: <= 2)\n`,
  );
}

report("100 rows x 3 escaped fields, namespace {rows}", compare(() => template.generate(namespace), () => handWritten(namespace)));

// As RequestHandler.render passes it: the handler namespace (about a dozen names) plus the kwargs.
const handlerNamespace = {
  handler: {},
  request: {},
  currentUser: null,
  locale: {},
  _: (s: string) => s,
  pgettext: (_c: string, s: string) => s,
  staticUrl: (p: string) => p,
  xsrfFormHtml: () => "",
  reverseUrl: () => "",
  modules: {},
  rows,
};
report(
  "same page, with a handler-sized namespace",
  compare(() => template.generate(handlerNamespace), () => handWritten(handlerNamespace)),
);
