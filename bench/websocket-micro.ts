// WebSocket micro-benchmark: echo of 64-byte text messages over 50 connections (closed loop, one
// message in flight per connection) against Typhoon's WebSocketHandler and a bare `ws` server,
// alternating rounds; then the RSS 10,000 idle WebSocket connections add to each server.
// The servers are those of `npm run bench` (bench/servers/typhoon-websocket.ts, and node-http.ts
// with bare ws), pinned to one core; the load generators (bench/clients/ws-load.ts, and this file's
// idle mode, both on raw sockets) run on the other, when taskset and two cores allow.
//
// Run: node --conditions=typhoon-source --import tsx bench/websocket-micro.ts
//   [--rounds 3] [--seconds 4] [--warmup 1] [--connections 50] [--bytes 64] [--idle 10000]
// Budgets (DESIGN.md, issue 8): echo >= 0.9x bare ws messages/s; 10,000 idle connections < 150 MB.
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";

type ServerKind = "typhoon" | "ws";


// ---------------------------------------------------------------- idle connections (child process)

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Opens `count` WebSocket connections (200 handshakes at a time), prints `OPEN <ok> <failed>`, then idles. */
async function holdIdle(port: number, count: number): Promise<void> {
  const sockets: net.Socket[] = [];
  let failed = 0;
  const openOne = (): Promise<void> =>
    new Promise((resolve) => {
      const key = randomBytes(16).toString("base64");
      const accept = createHash("sha1").update(key + GUID).digest("base64");
      const socket = net.connect({ host: "127.0.0.1", port });
      let head = "";
      const timer = setTimeout(() => socket.destroy(new Error("no handshake answer within 20 s")), 20_000);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        if (ok) sockets.push(socket);
        else failed++;
        resolve();
      };
      socket.on("data", (chunk: Buffer) => {
        if (head.includes("\r\n\r\n")) return;
        head += chunk.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        done(head.startsWith("HTTP/1.1 101") && head.includes(accept));
      });
      socket.on("error", () => undefined);
      socket.on("close", () => {
        if (!head.includes("\r\n\r\n")) done(false);
      });
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: 200 }, worker));
  process.stdout.write(`OPEN ${sockets.length} ${failed}\n`);
  process.stdin.resume();
  process.stdin.once("end", () => process.exit(0));
}

// ---------------------------------------------------------------- the harness

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "4" },
      warmup: { type: "string", default: "1" },
      connections: { type: "string", default: "50" },
      bytes: { type: "string", default: "64" },
      idle: { type: "string", default: "10000" },
    },
  });
  const { compileEntry } = await import("./lib/build.js");
  const { writeFixture } = await import("./lib/fixture.js");
  const { choosePlacement, coreBusySeconds, cpuSeconds, currentRss, fileLimits, installCleanup, launch } = await import("./lib/processes.js");
  installCleanup();
  const placement = choosePlacement();
  const self = await compileEntry("websocket-micro.ts");
  const loadGenerator = await compileEntry("clients/ws-load.ts");
  const rounds = Number(values.rounds);
  const idleCount = Math.min(Number(values.idle), fileLimits().hard - 500);
  console.log(`WebSocket micro-benchmark: ${placement.description}`);

  // The servers of `npm run bench`'s websocket scenario: bare ws on node:http, and Typhoon.
  const entries: Record<ServerKind, string> = {
    typhoon: await compileEntry("servers/typhoon-websocket.ts"),
    ws: await compileEntry("servers/node-http.ts"),
  };
  const fixture = writeFixture();
  const startServer = async (kind: ServerKind, fileLimit?: number) => {
    const server = launch({
      command: process.execPath,
      args: [entries[kind], "websocket"],
      core: placement.serverCore,
      env: { BENCH_FIXTURE: fixture.path },
      ...(fileLimit === undefined ? {} : { fileLimit }),
    });
    const ready = await server.waitForLine(/^READY (\d+)$/, 30_000);
    return { server, port: Number(ready[1]) };
  };

  /** Waits (up to 30 s) until other processes leave the pinned cores under 15% busy. */
  const waitForQuietCores = async (): Promise<boolean> => {
    const cores = [placement.serverCore, placement.loadCore].filter((core): core is number => core !== null);
    for (let waited = 0; waited < 30; waited += 0.5) {
      const before = coreBusySeconds();
      await sleep(500);
      const after = coreBusySeconds();
      if (before === null || after === null || cores.every((core) => ((after[core] ?? 0) - (before[core] ?? 0)) / 0.5 < 0.15)) return true;
    }
    return false;
  };

  // Echo throughput, and the server's CPU time per message (steadier than throughput when other
  // processes share the machine): rounds alternate between the two servers, each a fresh process.
  const rates: Record<ServerKind, number[]> = { typhoon: [], ws: [] };
  const cpuPerMessage: Record<ServerKind, number[]> = { typhoon: [], ws: [] };
  for (let round = 0; round < rounds; round++) {
    for (const kind of ["typhoon", "ws"] as const) {
      const quiet = await waitForQuietCores();
      const { server, port } = await startServer(kind);
      try {
        const options = {
          url: `ws://127.0.0.1:${port}/ws`,
          connections: Number(values.connections),
          warmupSeconds: Number(values.warmup),
          seconds: Number(values.seconds),
          messageBytes: Number(values.bytes),
        };
        const load = launch({ command: process.execPath, args: [loadGenerator, JSON.stringify(options)], core: placement.loadCore });
        // Server CPU over (about) the measured window: after connecting and the warm-up, until just before the end.
        await sleep((options.warmupSeconds + 0.2) * 1000);
        const cpuStart = cpuSeconds(server.pid);
        const windowStart = performance.now();
        await sleep((options.seconds - 0.3) * 1000);
        const cpuEnd = cpuSeconds(server.pid);
        const window = (performance.now() - windowStart) / 1000;
        const line = await load.waitForLine(/^BENCH (.*)$/, (options.warmupSeconds + options.seconds) * 1000 + 60_000);
        const report = JSON.parse(line[1]!) as { operations: number; seconds: number; errors: number; errorDetail: string; p99Ms: number };
        if (report.errors > 0) throw new Error(`${kind}: ${report.errors} errors: ${report.errorDetail}`);
        const rate = report.operations / report.seconds;
        rates[kind].push(rate);
        let cpuNote = "";
        if (cpuStart !== null && cpuEnd !== null) {
          const micros = ((cpuEnd - cpuStart) / (rate * window)) * 1e6;
          cpuPerMessage[kind].push(micros);
          cpuNote = `, server CPU ${micros.toFixed(2)} µs/message`;
        }
        console.log(
          `  round ${round + 1} ${kind.padEnd(7)} ${Math.round(rate).toLocaleString("en")} messages/s, p99 ${report.p99Ms.toFixed(2)} ms${cpuNote}` +
            (quiet ? "" : " (other processes were busy on the cores)"),
        );
        await load.stop();
      } finally {
        await server.stop();
      }
    }
  }
  const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const ratio = median(rates.typhoon) / median(rates.ws);
  console.log(
    `echo, ${values.connections} connections, ${values.bytes}-byte messages: Typhoon ${Math.round(median(rates.typhoon)).toLocaleString("en")}/s, ` +
      `bare ws ${Math.round(median(rates.ws)).toLocaleString("en")}/s, ratio ${ratio.toFixed(3)} (budget >= 0.9) ${ratio >= 0.9 ? "OK" : "OVER BUDGET"}`,
  );
  if (cpuPerMessage.typhoon.length > 0 && cpuPerMessage.ws.length > 0) {
    const cpuRatio = median(cpuPerMessage.ws) / median(cpuPerMessage.typhoon);
    console.log(
      `server CPU per message (median): Typhoon ${median(cpuPerMessage.typhoon).toFixed(2)} µs, bare ws ${median(cpuPerMessage.ws).toFixed(2)} µs: ` +
        `Typhoon does ${cpuRatio.toFixed(3)}x the messages per CPU-second of bare ws`,
    );
  }

  // Memory: RSS of each server idle, then holding `idleCount` idle WebSocket connections.
  if (idleCount <= 0) return;
  for (const kind of ["typhoon", "ws"] as const) {
    const { server, port } = await startServer(kind, idleCount + 1000);
    try {
      await sleep(1000);
      const before = currentRss(server.pid);
      const holder = launch({ command: process.execPath, args: [self, "idle", String(port), String(idleCount)], core: placement.loadCore, fileLimit: idleCount + 1000 });
      const opened = await holder.waitForLine(/^OPEN (\d+) (\d+)$/, 300_000);
      await sleep(2000);
      const after = currentRss(server.pid);
      holder.child.stdin!.end();
      await holder.stop();
      if (before === null || after === null) {
        console.log(`${kind}: RSS not readable (/proc)`);
        continue;
      }
      const added = (after - before) / 1024 / 1024;
      const failed = Number(opened[2]);
      console.log(
        `${kind.padEnd(7)} idle ${(before / 1024 / 1024).toFixed(1)} MB; with ${opened[1]} idle WebSockets${failed ? ` (${failed} failed)` : ""} ` +
          `${(after / 1024 / 1024).toFixed(1)} MB: +${added.toFixed(1)} MB` +
          (kind === "typhoon" ? ` (budget < 150 MB for 10,000) ${added < 150 * (Number(opened[1]) / 10_000) ? "OK" : "OVER BUDGET"}` : ""),
      );
    } finally {
      await server.stop();
    }
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "idle") await holdIdle(Number(rest[0]), Number(rest[1]));
else await main();
