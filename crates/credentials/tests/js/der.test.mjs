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

test("reads the extended key usage: the DCC's record-kind OIDs restrict, others do not", async () => {
  const { DSC, DSC_TESTS_ONLY } = await import("./support.mjs");
  const { allows, usageOf } = await import(path.join(assets, "credentials-der.js"));
  const limited = publicKeyOf(base64(DSC_TESTS_ONLY.cert)).usage;
  assert.deepEqual(limited, { restricted: true, test: true, vaccination: false, recovery: false });
  assert.ok(allows(limited, "test") && !allows(limited, "vaccination") && !allows(limited, "exemption"));
  const free = publicKeyOf(base64(DSC.cert)).usage;
  assert.ok(["test", "vaccination", "recovery", "exemption"].every((k) => allows(free, k)), "no extension: every kind");
  assert.deepEqual(usageOf(["1.3.6.1.4.1.0.1847.2021.1.2", "1.3.6.1.5.5.7.3.2"]), { restricted: true, test: false, vaccination: true, recovery: false });
  assert.equal(usageOf(["1.3.6.1.5.5.7.3.4"]).restricted, false, "only other purposes: unrestricted, as hcert");
  assert.equal(usageOf(["1.3.6.1.4.1.1847.2021.1.21"]).restricted, false, "not an arc of the DCC's");
});
