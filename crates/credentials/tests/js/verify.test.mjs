// The whole check on codes made here with a test signer: a valid code, each
// step's refusal, revocation, every validity rule, and the trust bundle's
// signature and pinned root.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { CSCA, CSCA2, DSC, DSC_TESTS_ONLY, RULES, assets, bundle, dccOf, entryOf, issue, revocationOf, vaccination } from "./support.mjs";

const { verify, verifyBundle, prepareTrust, age, StepError, inflate } = await import(path.join(assets, "credentials-verify.js"));

const NOW = new Date("2026-11-30T12:00:00+08:00");
const seconds = (d) => Math.floor(d.getTime() / 1000);
const IAT = seconds(NOW) - 86_400;
const EXP = seconds(NOW) + 86_400 * 300;
const ISSUED = "2026-11-30T00:00:00Z";

const trust = async (options = {}) => prepareTrust((await verifyBundle(await bundle({ issuedAt: ISSUED, ...options }))).payload);
const code = (record, group = "v", options = {}) => issue(dccOf(record, group), { iat: IAT, exp: EXP, ...options });
const refusal = async (promise) => {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof StepError, String(e));
    return e.reason ? `${e.step}/${e.reason}` : e.step;
  }
  return "accepted";
};

test("a valid vaccination code: the holder's name, birth date and record", async () => {
  const result = await verify(await code(vaccination()), await trust(), NOW);
  assert.equal(result.kind, "vaccination");
  assert.deepEqual(result.name, { fn: "Chan", gn: "Tai Man", fnt: "CHAN", gnt: "TAI<MAN" });
  assert.equal(result.dob, "1980-02-29");
  assert.equal(result.ci, "URN:UVCI:01:HK:VAC1#A");
  assert.equal(result.issuer, "HK");
});

test("kid in the unprotected header, untagged COSE", async () => {
  const t = await trust();
  assert.equal((await verify(await code(vaccination(), "v", { unprotectedKid: true }), t, NOW)).kind, "vaccination");
  assert.equal((await verify(await code(vaccination(), "v", { tag: 0 }), t, NOW)).kind, "vaccination");
});

test("each step refuses with its own name", async () => {
  const t = await trust();
  const good = await code(vaccination());
  // A character of the signature (the end of the zlib stream is the COSE
  // signature's last bytes... so flip inside the Base45 text and let the
  // step that notices it say so).
  assert.equal(await refusal(verify("HC2:" + good.slice(4), t, NOW)), "prefix");
  assert.equal(await refusal(verify(good + "a", t, NOW)), "base45");
  assert.equal(await refusal(verify("HC1:BB8", t, NOW)), "zlib");
  assert.equal(await refusal(verify(good, t, new Date((IAT - 60) * 1000))), "not-yet-valid");
  assert.equal(await refusal(verify(good, t, new Date((EXP + 60) * 1000))), "expired");
  const other = await code(vaccination(), "v", { cert: CSCA.cert, key: CSCA.key });
  assert.equal(await refusal(verify(other, t, NOW)), "unknown-kid");
  const forged = await code(vaccination(), "v", { key: CSCA.key });
  assert.equal(await refusal(verify(forged, t, NOW)), "bad-signature");
  // PS256 named, but the signer under the kid holds a P-256 key.
  const ps256 = await code(vaccination(), "v", { alg: -37 });
  assert.equal(await refusal(verify(ps256, t, NOW)), "algorithm");
  const es384 = await code(vaccination(), "v", { alg: -35 });
  assert.equal(await refusal(verify(es384, t, NOW)), "algorithm");
});

test("a signer's extended key usage limits the kinds it signs", async () => {
  const t = await trust({ dsc: [await entryOf(DSC), await entryOf(DSC_TESTS_ONLY)] });
  const by = { cert: DSC_TESTS_ONLY.cert, key: DSC_TESTS_ONLY.key };
  const sample = { tg: "840539006", tt: "LP217198-3", sc: "2026-11-29T12:00:00Z", tr: "260415000", co: "HK", is: "DH", ci: "URN:UVCI:01:HK:T9#A" };
  assert.equal(await refusal(verify(await code(sample, "t", by), t, NOW)), "accepted");
  assert.equal(await refusal(verify(await code(vaccination(), "v", by), t, NOW)), "key-usage");
  const exemption = { tg: "840539006", es: "medical", df: "2026-06-01", du: "2026-12-31", co: "HK", is: "DH", ci: "URN:UVCI:01:HK:E9#E" };
  assert.equal(await refusal(verify(await code(exemption, "e", by), t, NOW)), "key-usage", "exemptions need an unrestricted signer");
  // The unrestricted signer signs every kind.
  assert.equal(await refusal(verify(await code(exemption, "e"), t, NOW)), "accepted");
});

test("every certificate under a kid is tried: a second one does not shadow the first", async () => {
  const real = await entryOf(DSC);
  const other = { ...(await entryOf(CSCA2)), kid: real.kid };
  const t = await trust({ dsc: [real, other] });
  assert.equal(t.dsc.get(real.kid).length, 2);
  assert.equal(await refusal(verify(await code(vaccination()), t, NOW)), "accepted");
  const forged = await code(vaccination(), "v", { key: CSCA.key });
  assert.equal(await refusal(verify(forged, t, NOW)), "bad-signature");
});

test("a flipped character in the signature part makes it a bad signature", async () => {
  const t = await trust();
  const good = await code(vaccination());
  const { tamperSignature } = await import("./tamper.mjs");
  assert.equal(await refusal(verify(await tamperSignature(good), t, NOW)), "bad-signature");
});

test("a revoked UVCI is refused", async () => {
  const t = await trust({ revoked: [await revocationOf("URN:UVCI:01:HK:VAC1#A")] });
  assert.equal(await refusal(verify(await code(vaccination()), t, NOW)), "revoked");
  assert.equal(await refusal(verify(await code(vaccination({ ci: "URN:UVCI:01:HK:VAC2#B" })), t, NOW)), "accepted");
});

test("the vaccination rules: complete series, 14 days after, 365 days at most", async () => {
  const t = await trust();
  const at = async (over) => refusal(verify(await code(vaccination(over)), t, NOW));
  assert.equal(await at({ dn: 1, sd: 2 }), "rules/incomplete");
  assert.equal(await at({ dn: 3, sd: 2 }), "accepted");
  assert.equal(await at({ dt: "2026-11-20" }), "rules/too-soon");
  assert.equal(await at({ dt: "2026-11-16" }), "accepted");
  assert.equal(await at({ dt: "2025-11-29" }), "rules/too-old");
  assert.equal(await at({ dt: "2025-11-30" }), "accepted");
});

test("the test rules: not detected, type accepted, within its hours", async () => {
  const t = await trust();
  const test = (over) => ({
    tg: "840539006", tt: "LP217198-3", ma: "1232", sc: "2026-11-29T12:00:00Z", tr: "260415000",
    tc: "Centre", co: "HK", is: "DH", ci: "URN:UVCI:01:HK:T1#C", ...over,
  });
  const at = async (over) => refusal(verify(await code(test(over), "t"), t, NOW));
  assert.equal(await at({}), "accepted");
  assert.equal(await at({ tr: "260373001" }), "rules/test-result");
  assert.equal(await at({ tt: "LP0000-0" }), "rules/test-type");
  assert.equal(await at({ sc: "2026-11-27T12:00:00Z" }), "rules/test-too-old");
  assert.equal(await at({ tt: "LP6464-4", sc: "2026-11-27T12:00:00Z" }), "accepted");
  assert.equal(await at({ sc: "2026-12-01T12:00:00Z" }), "rules/test-in-future");
});

test("the recovery window and the exemption period", async () => {
  const t = await trust();
  const recovery = (over) => ({ tg: "840539006", fr: "2026-10-01", co: "HK", is: "DH", df: "2026-10-12", du: "2027-03-30", ci: "URN:UVCI:01:HK:R1#D", ...over });
  const r = async (over) => refusal(verify(await code(recovery(over), "r"), t, NOW));
  assert.equal(await r({}), "accepted");
  assert.equal(await r({ fr: "2026-11-25" }), "rules/too-soon");
  assert.equal(await r({ du: "2026-11-29" }), "rules/outside-validity");
  const exemption = (over) => ({ tg: "840539006", es: "medical", df: "2026-06-01", du: "2026-12-31", co: "HK", is: "DH", ci: "URN:UVCI:01:HK:E1#E", ...over });
  const e = async (over, tr = t) => refusal(verify(await code(exemption(over), "e"), tr, NOW));
  assert.equal(await e({}), "accepted");
  assert.equal(await e({ du: "2026-11-01" }), "rules/outside-validity");
  const refusing = await trust({ rules: { ...RULES, exemption: { accepted: false } } });
  assert.equal(await e({}, refusing), "rules/exemption-not-accepted");
});

test("a payload with two groups or two records is refused", async () => {
  const t = await trust();
  const two = { ...dccOf(vaccination()), t: [{}] };
  assert.equal(await refusal(verify(await issue(two, { iat: IAT, exp: EXP }), t, NOW)), "payload/record");
  const twice = { ...dccOf(vaccination()), v: [vaccination(), vaccination()] };
  assert.equal(await refusal(verify(await issue(twice, { iat: IAT, exp: EXP }), t, NOW)), "payload/record");
});

test("a root rollover: a device that pinned the old root moves to the new one", async () => {
  const pinned = (await verifyBundle(await bundle({ issuedAt: ISSUED }))).cscaFingerprint;
  // After the rotation: the new root is active, the retired one signs beside it.
  const rolled = await bundle({ issuedAt: "2026-12-01T00:00:00Z", csca: CSCA2, retired: [CSCA] });
  const { payload, cscaFingerprint } = await verifyBundle(rolled, pinned);
  assert.equal(payload.issuedAt, "2026-12-01T00:00:00Z");
  assert.notEqual(cscaFingerprint, pinned, "the new root is the one to pin now");
  assert.equal((await verifyBundle(await bundle({ issuedAt: ISSUED, csca: CSCA2 }), cscaFingerprint)).cscaFingerprint, cscaFingerprint);
  // Signed only by a root the device never trusted: refused.
  assert.equal(await refusal(verifyBundle(await bundle({ issuedAt: ISSUED, csca: CSCA2 }), pinned)), "bundle/csca-changed");
  // The pinned root listed, but its signature is not over this payload.
  const other = await bundle({ issuedAt: "2026-12-02T00:00:00Z", csca: CSCA2, retired: [CSCA] });
  const spliced = { ...rolled, signatures: [rolled.signatures[0], other.signatures[1]] };
  assert.equal(await refusal(verifyBundle(spliced, pinned)), "bundle/bad-signature");
  // A bundle the pinned root signed, but presenting another root as the
  // active one (not the root its payload names): refused, nothing to pin.
  const legit = await bundle({ issuedAt: ISSUED });
  const named = JSON.parse(Buffer.from(legit.payload, "base64url")).activeRoot;
  const signSelf = await bundle({ issuedAt: ISSUED, csca: CSCA2, activeRoot: named });
  const hijack = { ...legit, csca: CSCA2.cert, signature: signSelf.signature, signatures: [legit.signatures[0]] };
  assert.equal(signSelf.payload, legit.payload, "the same payload, signed by the other root too");
  assert.equal(await refusal(verifyBundle(hijack, pinned)), "bundle/bad-signature");
});

test("the trust bundle: signature, pinned root, age", async () => {
  const b = await bundle({ issuedAt: ISSUED });
  const { payload, cscaFingerprint } = await verifyBundle(b);
  assert.equal(payload.country, "HK");
  assert.match(cscaFingerprint, /^[0-9a-f]{64}$/);
  assert.equal((await verifyBundle(b, cscaFingerprint)).cscaFingerprint, cscaFingerprint);
  // Signed by another root: refused when one was pinned.
  const other = await bundle({ issuedAt: ISSUED, csca: DSC });
  assert.equal(await refusal(verifyBundle(other, cscaFingerprint)), "bundle/csca-changed");
  // The right root named, but the payload changed.
  const tampered = { ...b, payload: b.payload.slice(0, -2) + (b.payload.endsWith("A") ? "BB" : "AA") };
  assert.equal(await refusal(verifyBundle(tampered, cscaFingerprint)), "bundle/bad-signature");
  assert.equal(await refusal(verifyBundle({ payload: "!" })), "bundle/malformed");
  const t = prepareTrust(payload);
  assert.deepEqual(age(t, new Date("2026-11-30T05:30:00Z")), { hours: 5, stale: false });
  assert.deepEqual(age(t, new Date("2026-12-02T00:00:00Z")), { hours: 48, stale: true });
});

test("a zlib bomb stops at the limit", async () => {
  const { deflate } = await import("./support.mjs");
  const bomb = await deflate(new Uint8Array(2 * 1024 * 1024));
  await assert.rejects(inflate(bomb), (e) => e.step === "zlib" && /past/.test(e.detail));
});
