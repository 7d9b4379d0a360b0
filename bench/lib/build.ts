// Compiles each Node server and load generator to one plain-JS file before the run, so that what is
// measured is the program itself: running TypeScript through the tsx loader costs ~35 MB of RSS per
// process and a loader thread. Typhoon is bundled from src/ (the `typhoon-source` condition); other
// packages stay imports, resolved from node_modules as in production.
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { build, type Plugin } from "esbuild";

/** The repository root (bench/ is one level down). */
export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * Where compiled entries go: inside node_modules, so their package imports resolve from there, and two
 * levels below the root like src/<layer>/, so Typhoon's reads relative to its own module URL (its
 * package.json) find the same files as from src/ or dist/<layer>/.
 */
export const BUILD_DIR = join(ROOT, "node_modules", ".typhoon-bench");

const keepPackagesExternal: Plugin = {
  name: "keep-packages-external",
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, (args) => {
      if (/^typhoon(\/|$)/.test(args.path)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

const built = new Map<string, Promise<string>>();

/**
 * Compiles `bench/<entry>` to a single ESM file and returns its path. Rejects with esbuild's message
 * when the entry does not compile (e.g. it imports a Typhoon name src/ does not export yet).
 */
export function compileEntry(entry: string): Promise<string> {
  let result = built.get(entry);
  if (result === undefined) {
    result = compile(entry);
    built.set(entry, result);
  }
  return result;
}

async function compile(entry: string): Promise<string> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const outfile = join(BUILD_DIR, basename(entry).replace(/\.ts$/, ".mjs"));
  try {
    await build({
      entryPoints: [join(ROOT, "bench", entry)],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      conditions: ["typhoon-source"],
      plugins: [keepPackagesExternal],
      logLevel: "silent",
    });
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    const first = errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : "";
    throw new Error(first ? `${first.text}${where}` : String(error));
  }
  return outfile;
}
