// The DER walker: the public key out of certificates, P-256 or not.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { CSCA, assets } from "./support.mjs";

const { publicKeyOf } = await import(path.join(assets, "credentials-der.js"));
const { base64 } = await import(path.join(assets, "credentials-verify.js"));

test("finds a P-256 key that WebCrypto imports", async () => {
  const { spki, kind } = publicKeyOf(base64(CSCA.cert));
  assert.equal(kind, "p256");
  assert.equal(spki.length, 91);
  await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
});

test("refuses truncated and trailing input, never reads past the end", () => {
  const der = base64(CSCA.cert);
  for (let n = 0; n < der.length; n += 7) {
    assert.throws(() => publicKeyOf(der.subarray(0, n)), (e) => e.step === "certificate", `${n} bytes`);
  }
  const longer = new Uint8Array(der.length + 1);
  longer.set(der);
  assert.throws(() => publicKeyOf(longer), (e) => e.step === "certificate");
});
