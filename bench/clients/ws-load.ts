// WebSocket echo load: N connections, each sending one text message and waiting for its echo before
// sending the next (closed loop); counts echoes per second and their round-trip times.
// The client speaks the protocol on raw sockets with each connection's masked frame built once, so it
// costs far less per message than any server under test and the load core does not cap the result.
// Every echo is compared byte for byte with the frame the server must send back.
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { Samples, printReport, readOptions } from "./load-report.js";

interface Options {
  url: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  messageBytes: number;
}

const options = readOptions<Options>();
const target = new URL(options.url);
const port = Number(target.port);
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const samples = new Samples();
let measuring = false;
let finished = false;
let operations = 0;
let errors = 0;
const reasons = new Set<string>();

function fail(reason: string): void {
  errors++;
  reasons.add(reason);
}

/** A masked client text frame and the unmasked server frame that must come back. */
function frames(index: number): { outgoing: Buffer; echo: Buffer } {
  const size = options.messageBytes;
  if (size > 125) throw new Error("messages up to 125 bytes (one-byte length) are supported");
  const payload = Buffer.from(`${String(index).padStart(6, "0")}${"x".repeat(size)}`.slice(0, size));
  const mask = randomBytes(4);
  const outgoing = Buffer.alloc(6 + size);
  outgoing[0] = 0x81;
  outgoing[1] = 0x80 | size;
  mask.copy(outgoing, 2);
  for (let i = 0; i < size; i++) outgoing[6 + i] = payload[i]! ^ mask[i % 4]!;
  return { outgoing, echo: Buffer.concat([Buffer.from([0x81, size]), payload]) };
}

function connect(index: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const accept = createHash("sha1").update(key + WS_GUID).digest("base64");
    const socket = net.connect({ host: target.hostname, port, noDelay: true });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      const text = head.subarray(0, end).toString("latin1");
      if (!/^HTTP\/1\.1 101/.test(text) || !text.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
        socket.destroy();
        reject(new Error(`connection ${index}: handshake answered ${JSON.stringify(text.split("\r\n")[0])}`));
        return;
      }
      if (head.length > end + 4) {
        socket.destroy();
        reject(new Error(`connection ${index}: data before the first message`));
        return;
      }
      resolve(socket);
    };
    socket.on("data", onData);
    socket.once("error", (error) => reject(new Error(`connection ${index}: ${error.message}`)));
    socket.once("connect", () => {
      socket.write(
        `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  });
}

function drive(socket: net.Socket, index: number): void {
  const { outgoing, echo } = frames(index);
  let pending: Buffer = Buffer.alloc(0);
  let sentAt = 0;
  const send = (): void => {
    sentAt = performance.now();
    socket.write(outgoing);
  };
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    if (pending.length < echo.length) return;
    const now = performance.now();
    if (pending.length > echo.length || !pending.equals(echo)) {
      fail(`connection ${index}: the echo differs from the message sent (${JSON.stringify(pending.subarray(0, 24).toString("latin1"))})`);
      socket.destroy();
      return;
    }
    pending = Buffer.alloc(0);
    if (measuring) {
      operations++;
      samples.add(now - sentAt);
    }
    if (!finished) send();
  });
  socket.on("close", () => {
    if (!finished) fail("the server closed a connection during the run");
  });
  socket.on("error", (error) => fail(`socket error: ${error.message}`));
  send();
}

let sockets: net.Socket[];
try {
  sockets = await Promise.all(Array.from({ length: options.connections }, (_, i) => connect(i)));
} catch (error) {
  printReport({ operations: 0, seconds: 0, p50Ms: 0, p99Ms: 0, errors: 1, errorDetail: (error as Error).message });
}
sockets.forEach(drive);
await new Promise((resolve) => setTimeout(resolve, options.warmupSeconds * 1000));
const start = performance.now();
const cpuAtStart = process.cpuUsage();
measuring = true;
await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
measuring = false;
finished = true;
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
for (const socket of sockets) socket.destroy();
printReport({
  operations,
  seconds,
  p50Ms: samples.quantile(0.5),
  p99Ms: samples.quantile(0.99),
  errors,
  errorDetail: [...reasons].join("; "),
  cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
});
