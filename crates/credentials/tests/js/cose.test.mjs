// COSE_Sign1 parsing (tagged, untagged, inside tag 61; kid from either
// header) and the Sig_structure bytes.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { Tag, assets, encode } from "./support.mjs";

const { parseSign1, sigStructure } = await import(path.join(assets, "credentials-cose.js"));
const bytes = (...b) => Uint8Array.from(b);

const protectedHeader = encode(new Map([[1, -7], [4, bytes(1, 2, 3, 4, 5, 6, 7, 8)]]));
const parts = [protectedHeader, new Map(), bytes(0xa0), new Uint8Array(64)];

test("reads tag 18, untagged and tag 61 around tag 18", () => {
  for (const item of [new Tag(18, parts), parts, new Tag(61, new Tag(18, parts))]) {
    const sign1 = parseSign1(encode(item));
    assert.equal(sign1.alg, -7);
    assert.deepEqual(sign1.kid, bytes(1, 2, 3, 4, 5, 6, 7, 8));
    assert.deepEqual(sign1.payload, bytes(0xa0));
  }
});

test("takes the protected kid first, the unprotected one when none is protected", () => {
  const both = [protectedHeader, new Map([[4, bytes(9)]]), bytes(0xa0), new Uint8Array(64)];
  assert.deepEqual(parseSign1(encode(both)).kid, bytes(1, 2, 3, 4, 5, 6, 7, 8));
  const unprotectedOnly = [encode(new Map([[1, -7]])), new Map([[4, bytes(9)]]), bytes(0xa0), new Uint8Array(64)];
  assert.deepEqual(parseSign1(encode(unprotectedOnly)).kid, bytes(9));
  const empty = [new Uint8Array(0), new Map([[1, -7], [4, bytes(9)]]), bytes(0xa0), new Uint8Array(64)];
  assert.equal(parseSign1(encode(empty)).alg, -7);
});

test("refuses other shapes with the cose step", () => {
  for (const item of [
    new Tag(98, parts),
    parts.slice(0, 3),
    [1, new Map(), bytes(), bytes()],
    [protectedHeader, [], bytes(), bytes()],
    [protectedHeader, new Map(), "text", bytes()],
    [encode([1]), new Map(), bytes(), bytes()],
    [encode(new Map([[1, -7]])), new Map([[4, "kid"]]), bytes(), bytes()],
  ]) {
    assert.throws(() => parseSign1(encode(item)), (e) => e.step === "cose");
  }
});

test("the Sig_structure is the CBOR array RFC 9052 names", () => {
  const got = sigStructure(bytes(0xa1, 0x01, 0x26), bytes(0x01, 0x02));
  const want = encode(["Signature1", bytes(0xa1, 0x01, 0x26), new Uint8Array(0), bytes(0x01, 0x02)]);
  assert.deepEqual(got, want);
  const long = new Uint8Array(70_000);
  assert.deepEqual(sigStructure(bytes(), long), encode(["Signature1", bytes(), bytes(), long]));
});
