// Base45: RFC 9285's examples, and the inputs it must refuse.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { assets, base45 as encode } from "./support.mjs";

const { decode } = await import(path.join(assets, "credentials-base45.js"));
const text = (b) => new TextDecoder().decode(b);

test("decodes the RFC 9285 examples", () => {
  assert.equal(text(decode("BB8")), "AB");
  assert.equal(text(decode("%69 VD92EX0")), "Hello!!");
  assert.equal(text(decode("UJCLQE7W581")), "base-45");
  assert.equal(text(decode("QED8WEX0")), "ietf!");
  assert.equal(decode("").length, 0);
});

test("round-trips every byte value", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(decode(encode(bytes)), bytes);
  assert.deepEqual(decode(encode(bytes.subarray(1))), bytes.subarray(1));
});

test("refuses bad characters, dangling characters and groups too large", () => {
  for (const bad of ["a", "BB8a", "BB", "GGW", ":::", "Z:", "B", "BB8B"]) {
    assert.throws(() => decode(bad), (e) => e.step === "base45", bad);
  }
});
