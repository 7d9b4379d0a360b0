// A 200 MB upload streamed to disk by a streamRequestBody handler keeps the server's memory flat.
// The client runs in a child process so that only the server's memory is measured here.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { open, rm, stat, mkdtemp } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Application, RequestHandler } from "typhoon";
import { serve } from "../helpers.js";

const TOTAL = 200 * 1024 * 1024;
/**
 * Bound on the server's RSS growth during the upload. Measured: about 40 MB whatever the upload
 * size (50 MB or 400 MB alike) — socket buffers awaiting garbage collection, not the body;
 * 200 MB held in memory would be far above it.
 */
const MAX_GROWTH = 64 * 1024 * 1024;

const CLIENT = `
const net = require("node:net");
const [port, total] = process.argv.slice(1).map(Number);
const socket = net.connect(port, "127.0.0.1", async () => {
  socket.write("PUT /upload HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\nContent-Length: " + total + "\\r\\n\\r\\n");
  const block = Buffer.alloc(1024 * 1024, 120);
  for (let sent = 0; sent < total; sent += block.length) {
    if (!socket.write(block)) await new Promise((resolve) => socket.once("drain", resolve));
  }
});
let response = "";
socket.on("data", (chunk) => (response += chunk));
socket.on("close", () => process.stdout.write(response));
`;

test("a 200 MB upload streamed to disk: the server's RSS stays flat (dataReceived back-pressure)", async () => {
  const directory = await mkdtemp(join(tmpdir(), "typhoon-upload-"));
  const target = join(directory, "upload.bin");
  class UploadHandler extends RequestHandler {
    static streamRequestBody = true;
    declare file: FileHandle;
    override async prepare() {
      this.request.connection!.setMaxBodySize(TOTAL);
      this.file = await open(target, "w");
    }
    override async dataReceived(chunk: Buffer) {
      await this.file.write(chunk);
    }
    async put() {
      await this.file.close();
      this.write(String((await stat(target)).size));
    }
  }
  const served = await serve(new Application([["/upload", UploadHandler]]));
  try {
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 20);
    const client = spawn(process.execPath, ["-e", CLIENT, String(served.port), String(TOTAL)], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    client.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      client.on("error", reject);
      client.on("close", () => resolve());
    });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    assert.match(output, /^HTTP\/1\.1 200 /, output.slice(0, 300));
    assert.ok(output.endsWith(String(TOTAL)), output.slice(-100));
    assert.equal((await stat(target)).size, TOTAL);
    const growth = peak - baseline;
    assert.ok(growth < MAX_GROWTH, `RSS grew by ${(growth / 1048576).toFixed(1)} MB during a ${TOTAL / 1048576} MB upload`);
  } finally {
    await served.close();
    await rm(directory, { recursive: true, force: true });
  }
});
