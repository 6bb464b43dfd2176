// A tiny DER walker: the SubjectPublicKeyInfo of an X.509 certificate (to
// import it into WebCrypto as "spki") and the kind of key it holds.

import { StepError } from "./credentials-step.js";

const fail = (detail) => {
  throw new StepError("certificate", detail);
};

// One TLV at `at` inside bytes[..end]: { tag, start, body, end }.
function tlv(bytes, at, end = bytes.length) {
  if (at + 2 > end) fail(`truncated element at ${at}`);
  const tag = bytes[at];
  if ((tag & 0x1f) === 0x1f) fail(`multi-byte tag at ${at}`);
  let len = bytes[at + 1];
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > end) fail(`bad length at ${at}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[body + i];
    body += n;
  }
  if (body + len > end) fail(`element at ${at} runs past its parent`);
  return { tag, start: at, body, end: body + len };
}

// The children of a constructed element.
function children(bytes, parent) {
  const out = [];
  for (let at = parent.body; at < parent.end; ) {
    const child = tlv(bytes, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

const SEQUENCE = 0x30;
const OID_EC = "2a8648ce3d0201"; // 1.2.840.10045.2.1
const OID_P256 = "2a8648ce3d030107"; // 1.2.840.10045.3.1.7
const OID_RSA = "2a864886f70d010101"; // 1.2.840.113549.1.1.1
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/**
 * The SubjectPublicKeyInfo of a DER certificate: { spki (bytes), kind:
 * "p256" | "ec" | "rsa" | "other" }.
 */
export function publicKeyOf(der) {
  if (!(der instanceof Uint8Array)) fail("not bytes");
  const cert = tlv(der, 0);
  if (cert.tag !== SEQUENCE || cert.end !== der.length) fail("not one DER sequence");
  const tbs = children(der, cert)[0];
  if (!tbs || tbs.tag !== SEQUENCE) fail("no tbsCertificate");
  const fields = children(der, tbs);
  // [0] version is optional; then serial, signature, issuer, validity, subject, spki.
  const first = fields[0] && fields[0].tag === 0xa0 ? 1 : 0;
  const spki = fields[first + 5];
  if (!spki || spki.tag !== SEQUENCE) fail("no subjectPublicKeyInfo");
  const [algorithm] = children(der, spki);
  if (!algorithm || algorithm.tag !== SEQUENCE) fail("no key algorithm");
  const [oid, parameter] = children(der, algorithm);
  if (!oid || oid.tag !== 0x06) fail("no key algorithm identifier");
  const id = hex(der.subarray(oid.body, oid.end));
  let kind = "other";
  if (id === OID_RSA) kind = "rsa";
  if (id === OID_EC) {
    kind = parameter && parameter.tag === 0x06 && hex(der.subarray(parameter.body, parameter.end)) === OID_P256 ? "p256" : "ec";
  }
  return { spki: der.slice(spki.start, spki.end), kind };
}
