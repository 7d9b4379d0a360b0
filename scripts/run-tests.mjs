// Runs every test/**/*.test.ts file with node:test (Node 20's runner takes files, not globs).
// Extra arguments are passed to node, e.g. `node scripts/run-tests.mjs --test-name-pattern=cookie`;
// file paths among them replace the full list.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith(".test.ts") ? [relative(root, path)] : [];
  });
}

const args = process.argv.slice(2);
const files = args.filter((arg) => arg.endsWith(".ts"));
const flags = args.filter((arg) => !arg.endsWith(".ts"));
const result = spawnSync(
  process.execPath,
  [
    "--conditions=typhoon-source",
    "--import",
    "tsx",
    "--import",
    "./test/setup.ts",
    "--test",
    "--test-concurrency=4",
    "--test-reporter=spec",
    ...flags,
    ...(files.length > 0 ? files : findTests(join(root, "test")).sort()),
  ],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
