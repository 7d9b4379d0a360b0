// examples/webspider.ts, Tornado's demos/webspider (the queues guide's example): Queue + workers +
// AsyncHTTPClient + join/taskDone, crawling the example's local site.
import { strict as assert } from "node:assert";
import { after, before, describe, test } from "node:test";
import { accessLog, expectLog } from "typhoon";
import { crawl, createSite, PAGES } from "../../examples/webspider.js";
import { type Served, serve } from "../helpers.js";

describe("examples/webspider", () => {
  let site: Served;
  before(async () => {
    site = await serve(createSite());
  });
  after(() => site.close());

  test("finds every page beneath the base URL exactly once and reports the broken link", async () => {
    const base = site.url("/docs/");
    const lines: string[] = [];
    const result = await expectLog(accessLog, /^404 GET \/docs\/missing\.html /, () =>
      crawl(base, { concurrency: 3, print: (line) => lines.push(line) }),
    );
    const expected = [...Object.keys(PAGES), "queues.html?x=1&y=2"].map((page) => base + page);
    // The cycle (guide → web → guide, guide → index) and the repeated links are fetched once.
    assert.deepEqual([...result.fetched].sort(), expected.sort());
    assert.deepEqual(result.dead, [`${base}missing.html`]);
    for (const url of [...expected, `${base}missing.html`]) {
      assert.equal(lines.filter((line) => line === `fetching ${url}`).length, 1, `fetching ${url} once`);
    }
    for (const url of expected) assert.ok(lines.includes(`fetched ${url}`), `fetched ${url}`);
    assert.ok(lines.includes(`Exception: HTTP 404: Not Found ${base}missing.html`), lines.join("\n"));
    // Links outside the base URL (the home page, another site) are not followed.
    assert.equal(lines.filter((line) => line.startsWith("fetching ")).length, expected.length + 1);
    assert.match(lines.at(-2) ?? "", /^Done in \d+ seconds, fetched 5 URLs\.$/);
    assert.equal(lines.at(-1), "Unable to fetch 1 URLs.");
  });

  test("one worker crawls the same pages as ten", async () => {
    const base = site.url("/docs/");
    const quiet = { print: () => undefined };
    const one = await crawl(base, { ...quiet, concurrency: 1 });
    const ten = await crawl(base, { ...quiet, concurrency: 10 });
    assert.deepEqual([...one.fetched].sort(), [...ten.fetched].sort());
    assert.deepEqual(one.dead, ten.dead);
  });

  test("a site that is down is reported dead, and the crawl still ends", async () => {
    const down = await serve(createSite());
    const base = down.url("/docs/");
    await down.close();
    const lines: string[] = [];
    const result = await crawl(base, { print: (line) => lines.push(line) });
    assert.deepEqual(result, { fetched: [], dead: [base] });
    assert.match(lines.join("\n"), /^Exception: HTTP 599: Connection refused by 127\.0\.0\.1:\d+ http:/m);
  });
});
