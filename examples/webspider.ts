// Tornado's web-spider demo (demos/webspider/webspider.py, the example of Tornado's queues
// guide): a Queue of URLs, `concurrency` workers taking from it and fetching with
// AsyncHTTPClient, and `join()` to wait until every URL put has been processed (`taskDone()`).
// Tornado's demo crawls tornadoweb.org; this one starts a small local Typhoon site and crawls
// it, so it runs offline: a few linked pages, with a cycle, fragments, a broken link, and links
// outside the base URL that are not followed.
// Run it with `node --conditions=typhoon-source --import tsx examples/webspider.ts`.
import { pathToFileURL } from "node:url";
import { Application, AsyncHTTPClient, gen, HTTPError, IOLoop, Queue, RequestHandler } from "typhoon";

// ---- the spider

/**
 * Downloads the page at `url` and returns the links it contains, made absolute and without
 * their fragment: `web.html#tornado.web.RequestHandler` becomes `http://host/docs/web.html`.
 */
async function getLinksFromUrl(url: string, print: (line: string) => void): Promise<string[]> {
  const response = await new AsyncHTTPClient().fetch(url);
  print(`fetched ${url}`);
  const links: string[] = [];
  for (const href of getLinks(response.text)) {
    const link = URL.canParse(href, url) ? new URL(href, url) : undefined;
    if (link === undefined) continue; // Python's urljoin never fails; a malformed href is skipped
    link.hash = ""; // Tornado: remove_fragment()
    links.push(link.href);
  }
  return links;
}

/**
 * The `href` of every `<a>` tag. Tornado's demo feeds the page to Python's HTMLParser; a
 * regular expression is enough for the pages of this site, not for the wild web.
 */
function getLinks(html: string): string[] {
  const hrefs: string[] = [];
  for (const match of html.matchAll(/<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi)) {
    const href = match[1] ?? match[2] ?? match[3] ?? "";
    if (href !== "") hrefs.push(href.replaceAll("&amp;", "&"));
  }
  return hrefs;
}

/** What a crawl found. */
export interface CrawlResult {
  /** Pages fetched, in the order they were fetched. */
  fetched: string[];
  /** Pages that could not be fetched (an HTTP error, a refused connection...). */
  dead: string[];
}

/**
 * Crawls every page beneath `baseUrl`, `concurrency` pages at a time, printing what it does
 * as Tornado's demo: `fetching <url>`, `fetched <url>`, `Exception: <error> <url>`, and a
 * summary. Each page is fetched once, however many pages link to it.
 */
export async function crawl(
  baseUrl: string,
  { concurrency = 10, print = console.log }: { concurrency?: number; print?: (line: string) => void } = {},
): Promise<CrawlResult> {
  // `null` tells a worker to stop, as Tornado's `None`.
  const q = new Queue<string | null>();
  const start = performance.now();
  const fetching = new Set<string>();
  const fetched = new Set<string>();
  const dead = new Set<string>();

  async function fetchUrl(currentUrl: string): Promise<void> {
    if (fetching.has(currentUrl)) return;
    print(`fetching ${currentUrl}`);
    fetching.add(currentUrl);
    const urls = await getLinksFromUrl(currentUrl, print);
    fetched.add(currentUrl);
    for (const newUrl of urls) {
      // Only follow links beneath the base URL.
      if (newUrl.startsWith(baseUrl)) await q.put(newUrl);
    }
  }

  async function worker(): Promise<void> {
    for await (const url of q) {
      if (url === null) return;
      try {
        await fetchUrl(url);
      } catch (error) {
        print(`Exception: ${error instanceof Error ? error.message : String(error)} ${url}`);
        dead.add(url);
      } finally {
        q.taskDone();
      }
    }
  }

  await q.put(baseUrl);

  // Start the workers, then wait for the work queue to be empty (every put matched by a taskDone).
  const workers = gen.multi(Array.from({ length: concurrency }, () => worker()));
  await q.join(300);
  if (fetching.size !== fetched.size + dead.size) throw new Error("a page was left half-fetched");
  print(`Done in ${Math.floor((performance.now() - start) / 1000)} seconds, fetched ${fetched.size} URLs.`);
  print(`Unable to fetch ${dead.size} URLs.`);

  // Signal all the workers to exit.
  for (let i = 0; i < concurrency; i++) await q.put(null);
  await workers;
  return { fetched: [...fetched], dead: [...dead] };
}

// ---- the site it crawls

/** The pages of the site beneath /docs/: index, a cycle guide → web → guide, and a broken link. */
export const PAGES: Readonly<Record<string, string>> = {
  "": `<h1>Docs</h1>
    <a href="guide.html">User's guide</a>
    <a href="web.html#tornado.web.RequestHandler">RequestHandler</a>
    <a href='queues.html'>Queues</a>
    <a href="/">Home (outside the docs: not followed)</a>
    <a href="https://www.tornadoweb.org/">Tornado (another site: not followed)</a>`,
  "guide.html": `<h1>Guide</h1>
    <a href="web.html">web</a> <a href="queues.html">queues</a>
    <a href="../docs/">Back to the index</a>
    <a href="missing.html">A page that does not exist</a>`,
  "web.html": `<h1>web</h1><a href="guide.html">guide</a> <a href="./">index</a>`,
  "queues.html": `<h1>queues</h1><a href="web.html">web</a> <a href="#Queue">Queue</a> <a href="queues.html?x=1&amp;y=2">this page with a query</a>`,
};

class DocsHandler extends RequestHandler {
  get(page: string) {
    const html = PAGES[page];
    if (html === undefined) throw new HTTPError(404);
    this.write(`<!doctype html><html><body>${html}</body></html>`);
  }
}

class HomeHandler extends RequestHandler {
  get() {
    this.write(`<!doctype html><html><body><a href="/docs/">Docs</a></body></html>`);
  }
}

/** The local site: `/` and the pages of {@link PAGES} under `/docs/`. */
export function createSite(): Application {
  return new Application([
    ["/", HomeHandler],
    ["/docs/(.*)", DocsHandler],
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await IOLoop.current().runSync(async () => {
    const site = await createSite().listen(Number(process.env.PORT ?? 0), "127.0.0.1");
    try {
      await crawl(`http://127.0.0.1:${site.port}/docs/`);
    } finally {
      await site.stop({ timeout: 0 });
    }
  });
}
