// Tests of signed values and signed cookies. Mirrors tornado/test/web_test.py::SignedValueTest,
// SecureCookieV1Test and SecureCookieV2Test; Python interop is in signed-value-interop.test.ts.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, test } from "node:test";
import {
  Application,
  appLog,
  createSignedValue,
  decodeSignedValue,
  expectLog,
  genLog,
  getSignatureKeyVersion,
  RequestHandler,
  type ApplicationSettings,
  type CookieSecret,
} from "typhoon";

const SECRET = "It's a secret to everybody";
const SECRET_DICT = { 0: "asdfbasdf", 1: "12312312", 2: "2342342" };
const present = (): number => 1300000000;
const past = (): number => present() - 86400 * 32;
const KNOWN_V2 = "2|1:0|10:1300000000|3:key|8:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152";

function text(value: Buffer | null): string | null {
  return value === null ? null : value.toString("latin1");
}

describe("SignedValueTest (web_test.py)", () => {
  test("test_known_values: v1 and v2 byte-for-byte as Tornado; v2 is the default", () => {
    const signedV1 = createSignedValue(SECRET, "key", "value", { version: 1, clock: present });
    assert.equal(signedV1, "dmFsdWU=|1300000000|31c934969f53e48164c50768b40cbd7e2daaaa4f");
    const signedV2 = createSignedValue(SECRET, "key", "value", { version: 2, clock: present });
    assert.equal(signedV2, KNOWN_V2);
    assert.equal(createSignedValue(SECRET, "key", "value", { clock: present }), signedV2);
    assert.equal(text(decodeSignedValue(SECRET, "key", signedV1, { minVersion: 1, clock: present })), "value");
    assert.equal(text(decodeSignedValue(SECRET, "key", signedV2, { minVersion: 2, clock: present })), "value");
  });

  test("test_name_swap: a value signed for one name does not read under another", () => {
    const signed1 = createSignedValue(SECRET, "key1", "value", { clock: present });
    const signed2 = createSignedValue(SECRET, "key2", "value", { clock: present });
    assert.equal(decodeSignedValue(SECRET, "key2", signed1, { clock: present }), null);
    assert.equal(decodeSignedValue(SECRET, "key1", signed2, { clock: present }), null);
  });

  test("test_expired: older than maxAgeDays (31) reads as null", () => {
    const signed = createSignedValue(SECRET, "key1", "value", { clock: past });
    assert.equal(text(decodeSignedValue(SECRET, "key1", signed, { clock: past })), "value");
    assert.equal(decodeSignedValue(SECRET, "key1", signed, { clock: present }), null);
    assert.equal(text(decodeSignedValue(SECRET, "key1", signed, { clock: present, maxAgeDays: 33 })), "value");
  });

  test("test_payload_tampering: changed key version or field lengths are refused", () => {
    const sig = "3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152";
    const validate = (prefix: string): boolean => text(decodeSignedValue(SECRET, "key", prefix + sig, { clock: present })) === "value";
    assert.equal(validate("2|1:0|10:1300000000|3:key|8:dmFsdWU=|"), true);
    assert.equal(validate("2|1:1|10:1300000000|3:key|8:dmFsdWU=|"), false);
    assert.equal(validate("2|1:0|10:130000000|3:key|8:dmFsdWU=|"), false);
    assert.equal(validate("2|1:0|10:1300000000|3:keey|8:dmFsdWU=|"), false);
  });

  test("test_signature_tampering: any change to the signature is refused", () => {
    const prefix = "2|1:0|10:1300000000|3:key|8:dmFsdWU=|";
    const validate = (sig: string): boolean => text(decodeSignedValue(SECRET, "key", prefix + sig, { clock: present })) === "value";
    assert.equal(validate("3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152"), true);
    assert.equal(validate("0".repeat(32)), false);
    assert.equal(validate("4d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152"), false);
    assert.equal(validate("3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e153"), false);
    assert.equal(validate("3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e15"), false);
    assert.equal(validate("3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e1538"), false);
    assert.equal(validate("3D4E60B996FF9C5D5788E333A0CBA6F238A22C6C0F94788870E1A9ECD482E152"), false, "hex case matters, as in Tornado");
    assert.equal(validate(""), false);
  });

  test("test_non_ascii: arbitrary bytes round-trip", () => {
    const value = Buffer.from([0xe9]);
    const signed = createSignedValue(SECRET, "key", value, { clock: present });
    assert.deepEqual(decodeSignedValue(SECRET, "key", signed, { clock: present }), value);
    const unicode = createSignedValue(SECRET, "key", "żółw 🐢", { clock: present });
    assert.equal(decodeSignedValue(SECRET, "key", unicode, { clock: present })?.toString("utf8"), "żółw 🐢");
  });

  test("test_key_versioning_read_write_default_key", () => {
    const value = Buffer.from([0xe9]);
    const signed = createSignedValue(SECRET_DICT, "key", value, { clock: present, keyVersion: 0 });
    assert.deepEqual(decodeSignedValue(SECRET_DICT, "key", signed, { clock: present }), value);
  });

  test("test_key_versioning_read_write_non_default_key", () => {
    const value = Buffer.from([0xe9]);
    const signed = createSignedValue(SECRET_DICT, "key", value, { clock: present, keyVersion: 1 });
    assert.deepEqual(decodeSignedValue(SECRET_DICT, "key", signed, { clock: present }), value);
  });

  test("test_key_versioning_invalid_key: a value signed with a retired key reads as null", () => {
    const signed = createSignedValue(SECRET_DICT, "key", Buffer.from([0xe9]), { clock: present, keyVersion: 0 });
    const { 0: _retired, ...newKeys } = SECRET_DICT;
    assert.equal(decodeSignedValue(newKeys, "key", signed, { clock: present }), null);
  });

  test("test_key_version_retrieval", () => {
    const signed = createSignedValue(SECRET_DICT, "key", Buffer.from([0xe9]), { clock: present, keyVersion: 1 });
    assert.equal(getSignatureKeyVersion(signed), 1);
    assert.equal(getSignatureKeyVersion(createSignedValue(SECRET, "key", "v", { version: 1 })), null);
    assert.equal(getSignatureKeyVersion("2|garbage"), null);
  });
});

describe("signed values: options and misuse", () => {
  test("minVersion: 2 refuses version-1 values; other minVersions are an error", () => {
    const v1 = createSignedValue(SECRET, "key", "value", { version: 1, clock: present });
    assert.equal(decodeSignedValue(SECRET, "key", v1, { minVersion: 2, clock: present }), null);
    assert.equal(text(decodeSignedValue(SECRET, "key", v1, { clock: present })), "value", "both versions read by default");
    assert.throws(() => decodeSignedValue(SECRET, "key", v1, { minVersion: 3 as 2 }), { code: "TYPHOON_ERR_SIGNED_VALUE" });
  });

  test("create: unknown versions, version 1 with a key map, missing or unknown keyVersion are errors", () => {
    assert.throws(() => createSignedValue(SECRET, "k", "v", { version: 3 as 2 }), { code: "TYPHOON_ERR_SIGNED_VALUE", message: /version 3/ });
    assert.throws(() => createSignedValue(SECRET_DICT, "k", "v", { version: 1 }), { code: "TYPHOON_ERR_SIGNED_VALUE" });
    assert.throws(() => createSignedValue(SECRET_DICT, "k", "v"), { code: "TYPHOON_ERR_SIGNED_VALUE", message: /keyVersion/ });
    assert.throws(() => createSignedValue(SECRET_DICT, "k", "v", { keyVersion: 7 }), { code: "TYPHOON_ERR_SIGNED_VALUE", message: /keyVersion 7/ });
    assert.throws(() => createSignedValue(SECRET, "k", "v", { clock: () => Number.NaN }), { code: "TYPHOON_ERR_INVALID_ARGUMENT" });
  });

  test("a Buffer secret signs as its bytes (same as the string)", () => {
    assert.equal(createSignedValue(Buffer.from(SECRET), "key", "value", { clock: present }), KNOWN_V2);
    assert.equal(text(decodeSignedValue(Buffer.from(SECRET), "key", KNOWN_V2, { clock: present })), "value");
  });

  test("keyVersion with a single secret is written into the value, as Tornado", () => {
    const signed = createSignedValue(SECRET, "key", "value", { clock: present, keyVersion: 5 });
    assert.match(signed, /^2\|1:5\|/);
    assert.equal(text(decodeSignedValue(SECRET, "key", signed, { clock: present })), "value");
  });

  test("future timestamps: more than 31 days ahead read as null (v2 too, beyond Tornado)", async () => {
    const future = (): number => present() + 32 * 86400;
    const soon = (): number => present() + 30 * 86400;
    assert.equal(decodeSignedValue(SECRET, "key", createSignedValue(SECRET, "key", "v", { clock: future }), { clock: present }), null);
    assert.equal(text(decodeSignedValue(SECRET, "key", createSignedValue(SECRET, "key", "v", { clock: soon }), { clock: present })), "v");
    const v1 = createSignedValue(SECRET, "key", "v", { version: 1, clock: future });
    assert.equal(await expectLog(genLog, "Cookie timestamp in future", () => decodeSignedValue(SECRET, "key", v1, { clock: present })), null);
  });

  test("version-1 failures are logged as Tornado logs them", async () => {
    const v1 = createSignedValue(SECRET, "key", "value", { version: 1, clock: past });
    assert.equal(await expectLog(genLog, "Expired cookie", () => decodeSignedValue(SECRET, "key", v1, { clock: present })), null);
    const forged = v1.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    assert.equal(await expectLog(genLog, "Invalid cookie signature", () => decodeSignedValue(SECRET, "key", forged, { clock: past })), null);
    // A zero-padded timestamp, correctly signed, is refused.
    const padded = `dmFsdWU=|0${present()}`;
    const sig = createHmac("sha1", SECRET).update(`keydmFsdWU=0${present()}`).digest("hex");
    assert.equal(await expectLog(genLog, "Tampered cookie", () => decodeSignedValue(SECRET, "key", `${padded}|${sig}`, { clock: present })), null);
  });
});

describe("signed values: bad input reads as null, never throws", () => {
  test("every truncation of a valid value", async () => {
    await expectLog(
      genLog,
      "Invalid cookie signature",
      () => {
        for (const value of [KNOWN_V2, createSignedValue(SECRET, "key", "value", { version: 1, clock: present })]) {
          for (let length = 0; length < value.length; length++) {
            const truncated = value.slice(0, length);
            assert.equal(decodeSignedValue(SECRET, "key", truncated, { clock: present }), null, `truncated to ${length}: ${truncated}`);
          }
        }
      },
      { required: false },
    );
  });

  test("malformed values: bad lengths, huge numbers, missing fields, other versions, other types", async () => {
    const cases = [
      "2|",
      "2|1:0",
      "2|1:0|",
      "2|x:0|10:1300000000|3:key|8:dmFsdWU=|sig",
      "2|-1:0|10:1300000000|3:key|8:dmFsdWU=|sig",
      "2|99999999999999999999:0|sig",
      "2|1:0|10:1300000000|3:key|999:dmFsdWU=|sig",
      "2|1:0|10:1300000000|3:key|8:dmFsdWU=",
      "2|1:0|10:1300000000|3:key|8:dmFsdWU=|",
      "3|1:0|10:1300000000|3:key|8:dmFsdWU=|sig",
      "999|x",
      "|||",
      "a|b|c|d",
      "\u0000\uffff|\ud800",
      "2|1:0|10:1300000000|3:key|8:dmFsdWU=|" + "f".repeat(64),
      "%32%7C",
      " ",
    ];
    for (const value of cases) {
      const decoded = await expectLog(genLog, ".", () => decodeSignedValue(SECRET, "key", value, { clock: present }), { required: false });
      assert.equal(decoded, null, JSON.stringify(value));
      assert.equal(decodeSignedValue(SECRET_DICT, "key", value, { clock: present }), null, `map secret: ${JSON.stringify(value)}`);
    }
    assert.equal(decodeSignedValue(SECRET, "key", null), null);
    assert.equal(decodeSignedValue(SECRET, "key", undefined), null);
    assert.equal(decodeSignedValue(SECRET, "key", ""), null);
  });

  test("a version-1 value with a key map reads as null (Tornado asserts)", () => {
    const v1 = createSignedValue(SECRET_DICT[1], "key", "value", { version: 1, clock: present });
    assert.equal(decodeSignedValue(SECRET_DICT, "key", v1, { clock: present }), null);
  });

  test("bounded fuzz: random printable strings never throw", async () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = "0123456789|:abcdef=+/2";
    await expectLog(
      genLog,
      ".",
      () => {
        for (let i = 0; i < 2000; i++) {
          let value = random() < 0.5 ? "2|" : "";
          const length = Math.floor(random() * 60);
          for (let j = 0; j < length; j++) value += alphabet[Math.floor(random() * alphabet.length)];
          assert.equal(decodeSignedValue(SECRET, "key", value, { clock: present }), null, value);
        }
      },
      { required: false },
    );
  });
});

// ---- handler methods

function cookieHeader(setCookies: string[]): string {
  return setCookies.map((line) => line.split(";")[0]).join("; ");
}

function signedCookieApp(settings: ApplicationSettings, setOptions: () => Parameters<RequestHandler["setSignedCookie"]>[2] = () => ({})) {
  class SetHandler extends RequestHandler {
    get() {
      this.setSignedCookie("foo", Buffer.from("bar"), setOptions());
    }
  }
  class GetHandler extends RequestHandler {
    get() {
      const minVersion = this.getArgument("min", "");
      const value = this.getSignedCookie("foo", undefined, minVersion ? { minVersion: Number(minVersion) as 1 | 2 } : {});
      this.write({ value: value?.toString("latin1") ?? null, keyVersion: this.getSignedCookieKeyVersion("foo") });
    }
  }
  return new Application(
    [
      ["/set", SetHandler],
      ["/get", GetHandler],
    ],
    settings,
  );
}

async function setThenGet(setApp: Application, getApp: Application = setApp, query = ""): Promise<{ value: string | null; keyVersion: number | null }> {
  const set = await setApp.inject({ url: "/set" });
  const cookies = set.headers.getList("Set-Cookie");
  assert.equal(cookies.length, 1, "one Set-Cookie");
  const got = await getApp.inject({ url: `/get${query}`, headers: { Cookie: cookieHeader(cookies) } });
  return got.json() as { value: string | null; keyVersion: number | null };
}

describe("SecureCookieV1Test (web_test.py)", () => {
  test("test_round_trip", async () => {
    const app = signedCookieApp({ cookieSecret: "0123456789" }, () => ({ version: 1 }));
    assert.deepEqual(await setThenGet(app, app, "?min=1"), { value: "bar", keyVersion: null });
  });

  test("test_cookie_tampering_future_timestamp: digits moved from payload to timestamp", async () => {
    const secret = "0123456789";
    // "12345678" is the base64 of these bytes.
    const signed = createSignedValue(secret, "foo", Buffer.from("d76df8e7aefc", "hex"), { version: 1 });
    const match = /^12345678\|(\d+)\|([0-9a-f]+)$/.exec(signed);
    assert.ok(match, signed);
    const [, timestamp, sig] = match;
    const tampered = `1234|5678${timestamp}|${sig}`;
    class Reader extends RequestHandler {
      get() {
        this.write(String(this.getSignedCookie("foo", undefined, { minVersion: 1 })));
      }
    }
    const app = new Application([["/", Reader]], { cookieSecret: secret });
    const response = await expectLog(genLog, "Cookie timestamp in future", () => app.inject({ url: "/", headers: { Cookie: `foo=${tampered}` } }));
    assert.equal(response.text, "null");
  });

  test("test_arbitrary_bytes: signed cookies carry any bytes", async () => {
    class Handler extends RequestHandler {
      get() {
        if (this.getArgument("set", "")) this.setSignedCookie("foo", Buffer.from([0xe9]), { version: 1 });
        else this.write(this.getSignedCookie("foo")?.toString("hex") ?? "none");
      }
    }
    const app = new Application([["/", Handler]], { cookieSecret: "0123456789" });
    const set = await app.inject({ url: "/?set=1" });
    const got = await app.inject({ url: "/", headers: { Cookie: cookieHeader(set.headers.getList("Set-Cookie")) } });
    assert.equal(got.text, "e9");
  });
});

describe("SecureCookieV2Test (web_test.py)", () => {
  const KEY_VERSIONS: CookieSecret = { 0: "ajklasdf0ojaisdf", 1: "aslkjasaolwkjsdf" };

  test("test_round_trip", async () => {
    const app = signedCookieApp({ cookieSecret: "0123456789" }, () => ({ version: 2 }));
    assert.deepEqual(await setThenGet(app, app, "?min=2"), { value: "bar", keyVersion: 0 });
  });

  test("test_key_version_roundtrip", async () => {
    const app = signedCookieApp({ cookieSecret: KEY_VERSIONS, keyVersion: 0 });
    assert.deepEqual(await setThenGet(app), { value: "bar", keyVersion: 0 });
  });

  test("test_key_version_roundtrip_differing_version", async () => {
    const app = signedCookieApp({ cookieSecret: KEY_VERSIONS, keyVersion: 1 });
    assert.deepEqual(await setThenGet(app), { value: "bar", keyVersion: 1 });
  });

  test("test_key_version_increment_version: values of the previous key still read after rotation", async () => {
    const before = signedCookieApp({ cookieSecret: KEY_VERSIONS, keyVersion: 0 });
    const after = signedCookieApp({ cookieSecret: KEY_VERSIONS, keyVersion: 1 });
    assert.deepEqual(await setThenGet(before, after), { value: "bar", keyVersion: 0 });
  });

  test("test_key_version_invalidate_version: a retired key's values read as null", async () => {
    const before = signedCookieApp({ cookieSecret: KEY_VERSIONS, keyVersion: 0 });
    const after = signedCookieApp({ cookieSecret: { 1: "aslkjasaolwkjsdf" }, keyVersion: 1 });
    assert.deepEqual(await setThenGet(before, after), { value: null, keyVersion: 0 });
  });
});

describe("signed cookies on handlers", () => {
  test("setSignedCookie: 30-day expiry by default, cookie options passed on, expiresDays: null for a session cookie", async () => {
    class Handler extends RequestHandler {
      get() {
        this.setSignedCookie("a", "1");
        this.setSignedCookie("b", "1", { expiresDays: null, httpOnly: true, sameSite: "Lax", path: "/app" });
        this.setSignedCookie("c", "1", { expiresDays: 2 });
      }
    }
    const response = await new Application([["/", Handler]], { cookieSecret: "s" }).inject({ url: "/" });
    const [a, b, c] = response.headers.getList("Set-Cookie");
    const days = (line: string | undefined): number => Math.round((Date.parse(/expires=([^;]+)/i.exec(line ?? "")![1]!) - Date.now()) / 86_400_000);
    // Quoted because of the base64 "=", exactly as Python's cookie library (and so Tornado) does.
    assert.match(a!, /^a="2\|1:0\|\d+:\d+\|1:a\|4:MQ==\|[0-9a-f]{64}"; /);
    assert.equal(days(a), 30);
    assert.doesNotMatch(b!, /expires/i);
    assert.match(b!, /HttpOnly/i);
    assert.match(b!, /SameSite=Lax/i);
    assert.match(b!, /Path=\/app/);
    assert.equal(days(c), 2);
  });

  test("createSignedValue method and getSignedCookie(name, value) for values that are not cookies", async () => {
    class Handler extends RequestHandler {
      get() {
        const token = this.createSignedValue("reset", "user-7");
        this.write({
          token,
          read: this.getSignedCookie("reset", token)?.toString() ?? null,
          wrongName: this.getSignedCookie("other", token),
          keyVersion: this.getSignedCookieKeyVersion("reset", token),
        });
      }
    }
    const body = (await new Application([["/", Handler]], { cookieSecret: { 3: "k3" }, keyVersion: 3 }).inject({ url: "/" })).json() as Record<string, unknown>;
    assert.equal(body["read"], "user-7");
    assert.equal(body["wrongName"], null);
    assert.equal(body["keyVersion"], 3);
    assert.match(String(body["token"]), /^2\|1:3\|/);
  });

  test("*SecureCookie aliases behave as the *SignedCookie methods", async () => {
    class Handler extends RequestHandler {
      get() {
        const cookie = this.getCookie("foo");
        if (cookie === undefined) this.setSecureCookie("foo", "bar");
        else this.write(`${this.getSecureCookie("foo")?.toString() ?? "none"} ${this.getSecureCookieKeyVersion("foo")}`);
      }
    }
    const app = new Application([["/", Handler]], { cookieSecret: "s" });
    const set = await app.inject({ url: "/" });
    const got = await app.inject({ url: "/", headers: { Cookie: cookieHeader(set.headers.getList("Set-Cookie")) } });
    assert.equal(got.text, "bar 0");
  });

  test("bad signed cookies read as null: tampered, truncated, other name, expired, missing", async () => {
    class Handler extends RequestHandler {
      get() {
        this.write(String(this.getSignedCookie("user")));
      }
    }
    const app = new Application([["/", Handler]], { cookieSecret: SECRET });
    const good = createSignedValue(SECRET, "user", "ann");
    const expired = createSignedValue(SECRET, "user", "ann", { clock: () => Date.now() / 1000 - 40 * 86400 });
    for (const cookie of [
      `user=${good.slice(0, -1)}${good.endsWith("0") ? "1" : "0"}`,
      `user=${good.slice(0, 30)}`,
      `user=${createSignedValue(SECRET, "session", "ann")}`,
      `user=${expired}`,
      `user=${createSignedValue("other secret", "user", "ann")}`,
      "user=",
      "",
    ]) {
      const response = await app.inject({ url: "/", headers: cookie ? { Cookie: cookie } : {} });
      assert.equal(response.code, 200, cookie);
      assert.equal(response.text, "null", cookie);
    }
    assert.equal((await app.inject({ url: "/", headers: { Cookie: `user=${good}` } })).text, "ann");
  });

  test("without cookieSecret, or with a key map and no keyVersion, signing is a clear error", async () => {
    class Handler extends RequestHandler {
      get() {
        this.setSignedCookie("a", "b");
      }
    }
    const missing = await expectLog(appLog, "Uncaught exception", () => new Application([["/", Handler]]).inject({ url: "/" }));
    assert.equal(missing.code, 500);
    const errors: unknown[] = [];
    class Catching extends RequestHandler {
      get() {
        for (const call of [() => this.setSignedCookie("a", "b"), () => this.getSignedCookie("a")]) {
          try {
            call();
          } catch (error) {
            errors.push(error);
          }
        }
      }
    }
    await new Application([["/", Catching]]).inject({ url: "/" });
    await new Application([["/", Catching]], { cookieSecret: { 1: "x" } }).inject({ url: "/" });
    assert.equal(errors.length, 3);
    assert.match(String(errors[0]), /'cookieSecret' setting/);
    assert.match(String(errors[2]), /keyVersion/);
    assert.equal((errors[2] as { code: string }).code, "TYPHOON_ERR_MISSING_SETTING");
  });
});
