// The CBOR decoder: RFC 8949 Appendix A examples, indefinite lengths, tags,
// and hostile input (deep nesting, huge lengths, truncation) refused fast.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { assets } from "./support.mjs";

const { decode, Tagged, Simple, plain, MAX_DEPTH } = await import(path.join(assets, "credentials-cbor.js"));
const hex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
const cbor = (h) => decode(hex(h));

test("integers, including 64-bit and negative", () => {
  assert.equal(cbor("00"), 0);
  assert.equal(cbor("17"), 23);
  assert.equal(cbor("1818"), 24);
  assert.equal(cbor("1903e8"), 1000);
  assert.equal(cbor("1a000f4240"), 1000000);
  assert.equal(cbor("1b000000e8d4a51000"), 1000000000000);
  assert.equal(cbor("1bffffffffffffffff"), 18446744073709551615n);
  assert.equal(cbor("20"), -1);
  assert.equal(cbor("3863"), -100);
  assert.equal(cbor("3bffffffffffffffff"), -18446744073709551616n);
  assert.equal(cbor("390103"), -260);
});

test("floats and simple values", () => {
  assert.equal(cbor("f90000"), 0);
  assert.equal(cbor("f93c00"), 1);
  assert.equal(cbor("f97bff"), 65504);
  assert.equal(cbor("f90001"), 5.960464477539063e-8);
  assert.equal(cbor("f9c400"), -4);
  assert.equal(cbor("f97c00"), Infinity);
  assert.ok(Number.isNaN(cbor("f97e00")));
  assert.equal(cbor("fa47c35000"), 100000);
  assert.equal(cbor("fb3ff199999999999a"), 1.1);
  assert.equal(cbor("f4"), false);
  assert.equal(cbor("f5"), true);
  assert.equal(cbor("f6"), null);
  assert.equal(cbor("f7"), undefined);
  assert.deepEqual(cbor("f0"), new Simple(16));
  assert.deepEqual(cbor("f8ff"), new Simple(255));
});

test("strings, definite and indefinite", () => {
  assert.deepEqual(cbor("4401020304"), hex("01020304"));
  assert.equal(cbor("6449455446"), "IETF");
  assert.equal(cbor("62225c"), '"\\');
  assert.equal(cbor("63e6b0b4"), "\u6c34");
  assert.deepEqual(cbor("5f42010243030405ff"), hex("0102030405"));
  assert.equal(cbor("7f657374726561646d696e67ff"), "streaming");
});

test("arrays, maps and tags, definite and indefinite", () => {
  assert.deepEqual(cbor("83010203"), [1, 2, 3]);
  assert.deepEqual(cbor("8301820203820405"), [1, [2, 3], [4, 5]]);
  assert.deepEqual(cbor("9f018202039f0405ffff"), [1, [2, 3], [4, 5]]);
  assert.deepEqual(cbor("a201020304"), new Map([[1, 2], [3, 4]]));
  assert.deepEqual(cbor("a26161016162820203"), new Map([["a", 1], ["b", [2, 3]]]));
  assert.deepEqual(cbor("bf61610161629f0203ffff"), new Map([["a", 1], ["b", [2, 3]]]));
  assert.deepEqual(cbor("c074323031332d30332d32315432303a30343a30305a"), new Tagged(0, "2013-03-21T20:04:00Z"));
  assert.deepEqual(cbor("d8184401020304"), new Tagged(24, hex("01020304")));
  assert.deepEqual(plain(cbor("a26161016162820203")), { a: 1, b: [2, 3] });
});

test("refuses malformed input with the cbor step", () => {
  for (const bad of [
    "", // nothing
    "18", // truncated argument
    "1c", // reserved additional information
    "44010203", // short byte string
    "62c328", // invalid UTF-8
    "8301", // short array
    "a10102a0", // trailing bytes
    "a2010201ff", // duplicate key (and short)
    "a201020103", // duplicate key
    "ff", // lone break
    "5f01ff", // bad chunk in an indefinite string
    "9f01", // unterminated indefinite array
    "f818", // simple value below 32 in two bytes
    "9b7fffffffffffffff", // huge array length
    "5a7fffffff00", // huge string length
    "a1800101", // array as a map key
  ]) {
    assert.throws(() => cbor(bad), (e) => e.step === "cbor", bad);
  }
});

test("deep nesting is refused, not recursed into", () => {
  const deep = new Uint8Array(100_000).fill(0x81);
  assert.throws(() => decode(deep), (e) => e.step === "cbor" && /deeper/.test(e.detail));
  const indefinite = new Uint8Array(100_000).fill(0x9f);
  assert.throws(() => decode(indefinite), (e) => e.step === "cbor");
  const ok = new Uint8Array(MAX_DEPTH + 1).fill(0x81);
  ok[MAX_DEPTH] = 0x00;
  assert.doesNotThrow(() => decode(ok));
});

test("random bytes never throw anything but a cbor error, and finish", () => {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
  for (let i = 0; i < 5000; i++) {
    const bytes = Uint8Array.from({ length: 1 + (next() % 64) }, next);
    try {
      decode(bytes);
    } catch (e) {
      assert.equal(e.step, "cbor", `${Buffer.from(bytes).toString("hex")}: ${e}`);
    }
  }
});
