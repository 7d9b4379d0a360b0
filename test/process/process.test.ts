// Tests of multi-process serving: HTTPServer.start(n) / forkProcesses with restarts and taskId.
// Mirrors tornado/test/process_test.py::ProcessTest.test_multi_process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { taskId } from "typhoon";

const root = fileURLToPath(new URL("../..", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

test("taskId is null outside forked workers", () => {
  assert.equal(taskId(), null);
});

test("start(2): two workers share the port, a crashed worker is restarted, SIGTERM stops all", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "typhoon-fork-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "app.mjs"),
    `import { Application, HTTPServer, RequestHandler, taskId } from ${JSON.stringify(pathToFileURL(join(root, "src/index.ts")).href)};
class Who extends RequestHandler { get() { this.write({ task: taskId(), pid: process.pid }); } }
class Crash extends RequestHandler { get() { process.exit(3); } }
const server = new HTTPServer(new Application([["/", Who], ["/crash", Crash]]), { noKeepAlive: true });
server.bind(${port}, "127.0.0.1");
await server.start(2);
`,
  );
  const env = { ...process.env };
  delete env["NODE_TEST_CONTEXT"];
  const primary = spawn(process.execPath, ["--import", "tsx", join(dir, "app.mjs")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  primary.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => primary.on("exit", resolve));
  try {
    const who = async () => (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as { task: number; pid: number };
    const seen = new Map<number, number>();
    const deadline = Date.now() + 30_000;
    while (seen.size < 2 && Date.now() < deadline) {
      const answer = await who().catch(() => undefined);
      if (answer) seen.set(answer.task, answer.pid);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual([...seen.keys()].sort(), [0, 1]);

    await fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined);
    const restartDeadline = Date.now() + 30_000;
    while (!/exited with status 3, restarting/.test(output) && Date.now() < restartDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(output, /child [01] \(pid \d+\) exited with status 3, restarting/);
    const after = new Set<number>();
    while (after.size < 2 && Date.now() < restartDeadline) {
      const answer = await who().catch(() => undefined);
      if (answer) after.add(answer.task);
    }
    assert.deepEqual([...after].sort(), [0, 1], "both task ids serve again after the restart");
  } finally {
    primary.kill("SIGTERM");
    assert.equal(await exited, 0);
    rmSync(dir, { recursive: true, force: true });
  }
});
