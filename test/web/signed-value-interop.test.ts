// Interoperability with real Python Tornado 6.x (/usr/bin/python3 with python3-tornado): signed values
// and XSRF tokens made by one side are read by the other, with fixed clocks, both formats and key maps.
// Mirrors what tornado/test/web_test.py::SignedValueTest and XSRFTest check, across the two implementations.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { Application, createSignedValue, decodeSignedValue, expectLog, genLog, getSignatureKeyVersion, RequestHandler } from "typhoon";

const PYTHON = "/usr/bin/python3";

// One Python process per batch: reads a JSON list of operations on stdin, prints a JSON list of results.
const INTEROP_SCRIPT = String.raw`
import json, logging, sys
logging.getLogger("tornado").setLevel(logging.CRITICAL)
from tornado.web import create_signed_value, decode_signed_value, get_signature_key_version, RequestHandler, Application, HTTPError
from tornado.httputil import HTTPServerRequest, HTTPHeaders

def secret_of(op):
    s = op["secret"]
    return {int(k): v for k, v in s.items()} if isinstance(s, dict) else s

class Connection:
    def set_close_callback(self, callback):
        pass

def handler(cookie, body=None, settings=None):
    headers = HTTPHeaders()
    if cookie is not None:
        headers["Cookie"] = "_xsrf=" + cookie
    request = HTTPServerRequest(method="POST", uri="/", headers=headers, connection=Connection())
    if body is not None:
        request.body_arguments = {"_xsrf": [body.encode()]}
        request.arguments = {"_xsrf": [body.encode()]}
    return RequestHandler(Application(**(settings or {})), request)

results = []
for op in json.load(sys.stdin):
    kind = op["op"]
    if kind == "create":
        results.append(create_signed_value(secret_of(op), op["name"], bytes.fromhex(op["value"]), version=op["version"],
                                           clock=lambda: op["clock"], key_version=op.get("key_version")).decode())
    elif kind == "decode":
        value = decode_signed_value(secret_of(op), op["name"], op["signed"], clock=lambda: op["clock"],
                                    min_version=op.get("min_version"), max_age_days=op.get("max_age_days", 31))
        results.append(None if value is None else value.hex())
    elif kind == "key_version":
        results.append(get_signature_key_version(op["signed"]))
    elif kind == "xsrf_token":
        h = handler(op.get("cookie"), settings={"xsrf_cookie_version": op["version"]})
        token = h.xsrf_token.decode()
        cookie = op.get("cookie")
        if cookie is None:
            cookie = h._new_cookie["_xsrf"].value
        results.append({"token": token, "cookie": cookie})
    elif kind == "xsrf_check":
        h = handler(op["cookie"], body=op["token"])
        try:
            h.check_xsrf_cookie()
            results.append("ok")
        except HTTPError as e:
            results.append(e.log_message)
print(json.dumps(results))
`;

function tornadoAvailable(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import tornado.web; print(tornado.version)"], { encoding: "utf8" });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message}); install python3 and python3-tornado to run the interop tests`;
  if (probe.status !== 0) return `${PYTHON} cannot import tornado; install python3-tornado (apt-get install -y python3-tornado) to run the interop tests`;
  return undefined;
}

const skipReason = tornadoAvailable();

type Operation = Record<string, unknown> & { op: string };

function tornado<T>(operations: Operation[]): T[] {
  const result = spawnSync(PYTHON, ["-c", INTEROP_SCRIPT], { input: JSON.stringify(operations), encoding: "utf8" });
  assert.equal(result.status, 0, `python failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T[];
}

const CLOCK = 1_700_000_000;
const clock = (): number => CLOCK;
const SECRET = "It's a secret to everybody";
const KEYS = { 0: "asdfbasdf", 1: "12312312", 7: "rotated-in" };
const VALUES = ["value", "", "user:42|admin=true", "żółw 🐢", Buffer.from([0, 0xe9, 0xff, 0x7c]).toString("latin1")];
const NAMES = ["user", "key", "_session-id"];

interface Case {
  secret: string | Record<number, string>;
  name: string;
  value: Buffer;
  version: 1 | 2;
  keyVersion?: number;
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const name of NAMES) {
    for (const text of VALUES) {
      const value = Buffer.from(text, text.includes("\u00e9") ? "latin1" : "utf8");
      all.push({ secret: SECRET, name, value, version: 1 });
      all.push({ secret: SECRET, name, value, version: 2 });
      for (const keyVersion of [0, 1, 7]) all.push({ secret: KEYS, name, value, version: 2, keyVersion });
    }
  }
  return all;
}

function typhoonCreate(c: Case): string {
  return createSignedValue(c.secret, c.name, c.value, { version: c.version, clock, ...(c.keyVersion === undefined ? {} : { keyVersion: c.keyVersion }) });
}

describe("signed values: Typhoon ⇄ Python Tornado", { skip: skipReason }, () => {
  test("Tornado's values equal Typhoon's byte for byte (v1, v2, key maps) and Typhoon reads them", async () => {
    const all = cases();
    const fromTornado = tornado<string>(
      all.map((c) => ({
        op: "create",
        secret: c.secret,
        name: c.name,
        value: c.value.toString("hex"),
        version: c.version,
        clock: CLOCK,
        ...(c.keyVersion === undefined ? {} : { key_version: c.keyVersion }),
      })),
    );
    for (const [index, c] of all.entries()) {
      const signed = fromTornado[index]!;
      assert.equal(typhoonCreate(c), signed, `create ${JSON.stringify(c)}`);
      assert.deepEqual(decodeSignedValue(c.secret, c.name, signed, { clock }), c.value, `Typhoon reads Tornado's ${signed}`);
      const otherName = () => decodeSignedValue(c.secret, `${c.name}x`, signed, { clock });
      assert.equal(c.version === 1 ? await expectLog(genLog, "Invalid cookie signature", otherName) : otherName(), null, "name binding");
      if (c.version === 2) assert.equal(getSignatureKeyVersion(signed), c.keyVersion ?? 0);
    }
  });

  test("Tornado reads Typhoon's values, and refuses the same bad ones Typhoon refuses", async () => {
    const all = cases();
    const operations: Operation[] = [];
    const expected: (string | null)[] = [];
    for (const c of all) {
      const signed = typhoonCreate(c);
      const base = { op: "decode", secret: c.secret, name: c.name, clock: CLOCK };
      operations.push({ ...base, signed });
      expected.push(c.value.toString("hex"));
      // Tampered signature, other name, expired, v1 under min_version 2.
      const flipped = signed.slice(0, -1) + (signed.endsWith("0") ? "1" : "0");
      operations.push({ ...base, signed: flipped });
      expected.push(null);
      operations.push({ ...base, name: `${c.name}x`, signed });
      expected.push(null);
      operations.push({ ...base, signed, clock: CLOCK + 32 * 86400 });
      expected.push(null);
      operations.push({ ...base, signed, min_version: 2 });
      expected.push(c.version === 1 ? null : c.value.toString("hex"));
    }
    const decoded = tornado<string | null>(operations);
    assert.deepEqual(decoded, expected);
    // The same verdicts from Typhoon.
    // Version-1 refusals log warnings, as in Tornado.
    const typhoonVerdicts = await expectLog(genLog, "Invalid cookie signature|Expired cookie", () => operations.map((operation) => {
      const value = decodeSignedValue(operation["secret"] as string, operation["name"] as string, operation["signed"] as string, {
        clock: () => operation["clock"] as number,
        ...(operation["min_version"] === 2 ? { minVersion: 2 as const } : {}),
      });
      return value === null ? null : value.toString("hex");
    }));
    assert.deepEqual(typhoonVerdicts, expected);
  });

  test("a key-versioned value survives rotation on both sides; a retired key fails on both", () => {
    const signed = createSignedValue(KEYS, "user", "ann", { clock, keyVersion: 1 });
    const rotated = { 1: KEYS[1], 2: "newest" };
    const retired = { 2: "newest" };
    const [kept, dropped, keyVersion] = tornado<string | number | null>([
      { op: "decode", secret: rotated, name: "user", signed, clock: CLOCK },
      { op: "decode", secret: retired, name: "user", signed, clock: CLOCK },
      { op: "key_version", signed },
    ]);
    assert.equal(kept, Buffer.from("ann").toString("hex"));
    assert.equal(dropped, null);
    assert.equal(keyVersion, 1);
    assert.equal(decodeSignedValue(rotated, "user", signed, { clock })?.toString(), "ann");
    assert.equal(decodeSignedValue(retired, "user", signed, { clock }), null);
  });
});

describe("XSRF tokens: Typhoon ⇄ Python Tornado", { skip: skipReason }, () => {
  class TokenHandler extends RequestHandler {
    get() {
      this.settings.xsrfCookieVersion = this.getArgument("version", "2") === "1" ? 1 : 2;
      this.write(this.xsrfToken);
    }
    post() {
      this.write("ok");
    }
  }
  const app = new Application([["/", TokenHandler]], { xsrfCookies: true });

  async function typhoonToken(version: 1 | 2, cookie?: string): Promise<{ token: string; cookie: string }> {
    const response = await app.inject({ url: `/?version=${version}`, headers: cookie === undefined ? {} : { Cookie: `_xsrf=${cookie}` } });
    const setCookie = response.headers.get("Set-Cookie");
    return { token: response.text, cookie: cookie ?? /^_xsrf=([^;]*)/.exec(setCookie ?? "")![1]! };
  }

  async function typhoonAccepts(cookie: string, token: string): Promise<number> {
    const response = await app.inject({
      method: "POST",
      url: "/",
      headers: { Cookie: `_xsrf=${cookie}`, "Content-Type": "application/x-www-form-urlencoded" },
      body: `_xsrf=${encodeURIComponent(token)}`,
    });
    return response.code;
  }

  test("Tornado accepts Typhoon's tokens and cookies (v1 and v2, new and refreshed)", async () => {
    const fresh2 = await typhoonToken(2);
    const fresh1 = await typhoonToken(1);
    const refreshed = await typhoonToken(2, fresh1.cookie);
    const pairs = [fresh2, fresh1, refreshed, { cookie: fresh2.cookie, token: (await typhoonToken(2, fresh2.cookie)).token }];
    const verdicts = tornado<string>(pairs.map((pair) => ({ op: "xsrf_check", ...pair })));
    assert.deepEqual(verdicts, ["ok", "ok", "ok", "ok"]);
    const [mismatch] = tornado<string>([{ op: "xsrf_check", cookie: fresh1.cookie, token: fresh2.token }]);
    assert.equal(mismatch, "XSRF cookie does not match POST argument");
  });

  test("Typhoon accepts Tornado's tokens and cookies (v1 and v2, new and refreshed)", async () => {
    const [fresh2, fresh1] = tornado<{ token: string; cookie: string }>([
      { op: "xsrf_token", version: 2 },
      { op: "xsrf_token", version: 1 },
    ]);
    const [refreshed, upgraded] = tornado<{ token: string; cookie: string }>([
      { op: "xsrf_token", version: 2, cookie: fresh2!.cookie },
      { op: "xsrf_token", version: 2, cookie: fresh1!.cookie },
    ]);
    for (const pair of [fresh2!, fresh1!, refreshed!, upgraded!]) {
      assert.equal(await typhoonAccepts(pair.cookie, pair.token), 200, JSON.stringify(pair));
    }
    assert.match(fresh2!.token, /^2\|[0-9a-f]{8}\|[0-9a-f]{32}\|\d+$/);
    assert.equal(await typhoonAccepts(fresh2!.cookie, (await typhoonToken(2, fresh2!.cookie)).token), 200, "Typhoon re-masks Tornado's cookie");
  });
});
