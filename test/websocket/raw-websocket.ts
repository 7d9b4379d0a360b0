// Test helper: a WebSocket client on a raw net socket, for handshakes and frames a real client
// would never send (unmasked, invalid UTF-8, oversized, hand-compressed...).
import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A frame as the server sent it. */
export interface Frame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** Builds a client frame: masked unless `mask: false`. */
export function frame(
  opcode: number,
  payload: Buffer | string,
  options: { mask?: boolean; fin?: boolean; rsv1?: boolean; declaredLength?: number } = {},
): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : payload;
  const mask = options.mask ?? true;
  const length = options.declaredLength ?? data.length;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.alloc(2);
    header[1] = length;
  } else if (length < 65536) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | opcode;
  if (!mask) return Buffer.concat([header, data]);
  header[1] |= 0x80;
  const key = randomBytes(4);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i]! ^ key[i % 4]!;
  return Buffer.concat([header, key, masked]);
}

/** The payload of a close frame. */
export function closePayload(code: number, reason = ""): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

/** A raw connection: the handshake's answer, then the frames the server sends. */
export class RawWebSocket {
  readonly socket: Socket;
  /** The status line and headers of the answer to the handshake. */
  head = "";
  /** The body of a non-101 answer (what arrived after the head). */
  body = "";
  #buffer = Buffer.alloc(0);
  #headDone = false;
  #frames: Frame[] = [];
  #waiters: ((frame: Frame | null) => void)[] = [];
  #ended = false;
  readonly closed: Promise<void>;

  constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", () => undefined);
    socket.once("close", () => {
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(null);
    });
  }

  get status(): number {
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.head)?.[1] ?? 0);
  }

  /** A header of the handshake's answer (case-insensitive), or undefined. */
  header(name: string): string | undefined {
    const line = this.head.split("\r\n").find((candidate) => candidate.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line?.slice(line.indexOf(":") + 1).trim();
  }

  #onData(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (!this.#headDone) {
      const end = this.#buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.head = this.#buffer.subarray(0, end).toString("latin1");
      this.#buffer = this.#buffer.subarray(end + 4);
      this.#headDone = true;
      this.#headResolve?.();
      if (this.status !== 101) {
        this.body += this.#buffer.toString("latin1");
        this.#buffer = Buffer.alloc(0);
        return;
      }
    } else if (this.status !== 101) {
      this.body += this.#buffer.toString("latin1");
      this.#buffer = Buffer.alloc(0);
      return;
    }
    this.#parseFrames();
  }

  #headResolve: (() => void) | undefined;

  /** Resolves once the answer's head arrived (or the socket closed). */
  waitHead(): Promise<void> {
    if (this.#headDone || this.#ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.#headResolve = resolve;
      this.socket.once("close", () => resolve());
    });
  }

  #parseFrames(): void {
    while (this.#buffer.length >= 2) {
      const b0 = this.#buffer[0]!;
      const b1 = this.#buffer[1]!;
      let length = b1 & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) return;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.#buffer.length < offset + length) return;
      const parsed: Frame = {
        fin: (b0 & 0x80) !== 0,
        rsv1: (b0 & 0x40) !== 0,
        opcode: b0 & 0x0f,
        payload: Buffer.from(this.#buffer.subarray(offset, offset + length)),
      };
      this.#buffer = this.#buffer.subarray(offset + length);
      const waiter = this.#waiters.shift();
      if (waiter) waiter(parsed);
      else this.#frames.push(parsed);
    }
  }

  /** The next frame from the server, or null once the socket is closed. */
  nextFrame(): Promise<Frame | null> {
    const next = this.#frames.shift();
    if (next) return Promise.resolve(next);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The next frame that is not a ping or pong. */
  async nextDataFrame(): Promise<Frame | null> {
    while (true) {
      const next = await this.nextFrame();
      if (next === null || (next.opcode !== 0x9 && next.opcode !== 0xa)) return next;
    }
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }
}

/**
 * Connects to 127.0.0.1:`port` and sends a WebSocket handshake for `path` (the `headers` given
 * replace or add to the standard ones; a `null` value leaves a header out), followed in the
 * same write by `after` (e.g. a first frame). Resolves once the answer's head arrived.
 */
export async function rawWebSocket(
  port: number,
  path: string,
  headers: Record<string, string | null> = {},
  after: Buffer = Buffer.alloc(0),
): Promise<RawWebSocket> {
  const key = randomBytes(16).toString("base64");
  const all: Record<string, string | null> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": key,
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  const lines = Object.entries(all)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  const socket = connect(port, "127.0.0.1");
  const raw = new RawWebSocket(socket);
  socket.write(Buffer.concat([Buffer.from(`GET ${path} HTTP/1.1\r\n${lines}\r\n`), after]));
  await raw.waitHead();
  return raw;
}

/** The Sec-WebSocket-Accept value for `key`. */
export function acceptValue(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}
