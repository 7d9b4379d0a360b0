// Opens many keep-alive connections to a server (at most `parallel` connecting at once), sends one
// GET on each, waits for its answer and then leaves the connection idle. Prints `OPEN <ok> <failed>`;
// afterwards answers `COUNT` on stdin with `ALIVE <n>` (connections the server has not closed).
import net from "node:net";
import { createInterface } from "node:readline";
import { readOptions } from "./load-report.js";

interface Options {
  port: number;
  path: string;
  count: number;
  parallel: number;
}

const options = readOptions<Options>();
const request = `GET ${options.path} HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nConnection: keep-alive\r\n\r\n`;
const sockets: net.Socket[] = [];
let alive = 0;
let failed = 0;
let firstFailure = "";

function openOne(): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port: options.port });
    let answered = false;
    let isOpen = false;
    const timer = setTimeout(() => socket.destroy(new Error("no answer within 10 s")), 10_000);
    socket.on("connect", () => {
      isOpen = true;
      alive++;
      socket.write(request);
    });
    socket.on("data", (chunk: Buffer) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      if (!chunk.subarray(0, 12).toString("latin1").startsWith("HTTP/1.1 200")) {
        failed++;
        firstFailure ||= `answer: ${JSON.stringify(chunk.subarray(0, 40).toString("latin1"))}`;
      }
      resolve();
    });
    socket.on("error", (error) => {
      if (!answered) {
        failed++;
        firstFailure ||= error.message;
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      if (isOpen) alive--;
      if (!answered) {
        answered = true;
        resolve();
      }
    });
    sockets.push(socket);
  });
}

let next = 0;
async function opener(): Promise<void> {
  while (next < options.count) {
    next++;
    await openOne();
  }
}
await Promise.all(Array.from({ length: Math.min(options.parallel, options.count) }, opener));
process.stdout.write(`OPEN ${options.count - failed} ${failed}${firstFailure ? ` ${firstFailure}` : ""}\n`);

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "COUNT") process.stdout.write(`ALIVE ${alive}\n`);
});
process.stdin.on("end", () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
