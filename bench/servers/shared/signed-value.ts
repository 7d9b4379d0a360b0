// Tornado's v2 signed value (tornado.web.create_signed_value / decode_signed_value), written by hand for
// the harness and the Node peers, which have no signed-cookie reader of their own in this format.
import { createHmac, timingSafeEqual } from "node:crypto";

function field(value: string): string {
  return `${Buffer.byteLength(value)}:${value}`;
}

/** `create_signed_value(secret, name, value, version=2)` with key version 0. */
export function createSignedValueV2(secret: string, name: string, value: string, nowSeconds: number): string {
  const toSign = [
    "2",
    field("0"),
    field(String(Math.floor(nowSeconds))),
    field(name),
    field(Buffer.from(value).toString("base64")),
    "",
  ].join("|");
  return toSign + createHmac("sha256", secret).update(toSign).digest("hex");
}

/**
 * Checks a v2 signed value as Tornado's `_decode_signed_value_v2` does (signature in constant time,
 * name, age) and returns the decoded value, or `null` when it is not valid.
 */
export function decodeSignedValueV2(
  secret: string,
  name: string,
  signed: string | undefined,
  maxAgeDays = 31,
): string | null {
  if (signed === undefined || !signed.startsWith("2|")) return null;
  const cut = signed.lastIndexOf("|") + 1;
  const expected = createHmac("sha256", secret).update(signed.slice(0, cut)).digest();
  const given = Buffer.from(signed.slice(cut), "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const fields = signed.slice(2, cut - 1).split("|").map((f) => f.slice(f.indexOf(":") + 1));
  const [, timestamp, fieldName, value] = fields;
  if (fieldName !== name || timestamp === undefined || value === undefined) return null;
  if (Number(timestamp) < Date.now() / 1000 - maxAgeDays * 86_400) return null;
  return Buffer.from(value, "base64").toString("utf8");
}
