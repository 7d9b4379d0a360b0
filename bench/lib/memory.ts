// Memory per server: RSS of an idle hello-world server one second after start, then RSS with many
// idle keep-alive connections held open by bench/clients/idle-connections.ts on the other core.
import { setTimeout as sleep } from "node:timers/promises";
import { compileEntry } from "./build.js";
import { sendOnce } from "./http-check.js";
import { currentRss, fileLimits, launch } from "./processes.js";
import type { MemoryMeasurement } from "./results.js";
import type { ServerId } from "./scenarios.js";
import { startServer, type RunContext } from "./runner.js";

/** Connections that fit in the open-files limits, with room for the process's own files. */
export function connectionBudget(requested: number): { count: number; notice?: string } {
  const { hard } = fileLimits();
  const room = hard - 200;
  if (room >= requested) return { count: requested };
  return {
    count: Math.max(0, room),
    notice: `open-files hard limit is ${hard}: memory measured with ${Math.max(0, room)} idle connections instead of ${requested} (raise it with \`ulimit -Hn ${requested + 1000}\` as root, or in /etc/security/limits.conf)`,
  };
}

/** Measures idle RSS and RSS with `count` idle connections for one server. */
export async function measureMemory(context: RunContext, server: ServerId, label: string, count: number): Promise<MemoryMeasurement> {
  const head: MemoryMeasurement = { server, label, status: "ok", connectionsRequested: count };
  const fileLimit = count + 1000;
  const started = await startServer(context, server, "hello", context.placement.serverCore, fileLimit);
  if ("status" in started) return { ...head, status: started.status, reason: started.reason };
  const { server: process_, port } = started;
  try {
    await sleep(1000);
    const idle = currentRss(process_.pid);
    if (idle === null) return { ...head, status: "skipped", reason: "/proc/<pid>/status is not readable on this system" };
    head.idleRssBytes = idle;
    const answer = await sendOnce(port, { method: "GET", path: "/hello", headers: {} }).catch((e: Error) => e);
    if (answer instanceof Error || answer.status !== 200) {
      return { ...head, status: "broken", reason: answer instanceof Error ? answer.message : `status ${answer.status}` };
    }
    if (count === 0) return head;
    const client = launch({
      command: process.execPath,
      args: [await compileEntry("clients/idle-connections.ts"), JSON.stringify({ port, path: "/hello", count, parallel: 200 })],
      core: context.placement.loadCore,
      fileLimit,
    });
    try {
      const opened = await client.waitForLine(/^OPEN (\d+) (\d+) ?(.*)$/, 180_000);
      head.connectionsOpened = Number(opened[1]);
      await sleep(1000);
      const loaded = currentRss(process_.pid);
      if (loaded !== null) head.loadedRssBytes = loaded;
      client.child.stdin!.write("COUNT\n");
      const alive = await client.waitForLine(/^ALIVE (\d+)$/, 10_000);
      head.connectionsAlive = Number(alive[1]);
      if (Number(opened[2]) > 0) head.reason = `${opened[2]} connections failed (first: ${opened[3]})`;
      else if (head.connectionsAlive < count) head.reason = `the server closed ${count - head.connectionsAlive} idle connections before the RSS was read`;
      if (head.reason !== undefined) head.status = "invalid";
      return head;
    } finally {
      client.child.stdin!.end();
      await client.stop();
    }
  } catch (error) {
    return { ...head, status: "broken", reason: (error as Error).message };
  } finally {
    await process_.stop();
  }
}
