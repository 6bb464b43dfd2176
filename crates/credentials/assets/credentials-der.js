// A tiny DER walker: the SubjectPublicKeyInfo of an X.509 certificate (to
// import it into WebCrypto as "spki"), the kind of key it holds, and what
// its extended key usage lets it sign (the DCC's record-kind OIDs, read as
// hcert reads them).

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

/** An OBJECT IDENTIFIER's body in dotted form. */
function dotted(body) {
  if (body.length === 0) fail("empty object identifier");
  const arcs = [];
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    n = n * 128 + (body[i] & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER) fail("object identifier arc too large");
    if (!(body[i] & 0x80)) {
      if (arcs.length === 0) arcs.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    } else if (i === body.length - 1) fail("object identifier ends inside an arc");
  }
  return arcs.join(".");
}

const OID_EKU = "551d25"; // 2.5.29.37
const EKU_ARCS = ["1.3.6.1.4.1.1847.2021.1.", "1.3.6.1.4.1.0.1847.2021.1."];

/**
 * What a signer may sign, from its extended key usage OIDs (dotted): a
 * signer naming at least one of the DCC's test (1), vaccination (2) or
 * recovery (3) OIDs may sign only those kinds; one naming none of them (or
 * without the extension) signs every kind, exemptions included. Exemptions,
 * which have no OID, need an unrestricted signer.
 */
export function usageOf(oids) {
  const has = (n) => oids.some((oid) => EKU_ARCS.some((arc) => oid === arc + n));
  const test = has("1");
  const vaccination = has("2");
  const recovery = has("3");
  if (!(test || vaccination || recovery)) return { restricted: false, test: true, vaccination: true, recovery: true };
  return { restricted: true, test, vaccination, recovery };
}

/** Whether `usage` (usageOf) lets its signer sign a record of `kind`. */
export function allows(usage, kind) {
  if (kind === "exemption") return !usage.restricted;
  return usage[kind] === true;
}

/**
 * The SubjectPublicKeyInfo of a DER certificate: { spki (bytes), kind:
 * "p256" | "ec" | "rsa" | "other", usage (usageOf its extended key usage) }.
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
  return { spki: der.slice(spki.start, spki.end), kind, usage: usageOf(extendedKeyUsage(der, fields.slice(first + 6))) };
}

// The extended key usage OIDs (dotted) among the fields after the SPKI: [3] extensions.
function extendedKeyUsage(der, rest) {
  const wrapper = rest.find((f) => f.tag === 0xa3);
  if (!wrapper) return [];
  const [extensions] = children(der, wrapper);
  if (!extensions || extensions.tag !== SEQUENCE) fail("extensions are not a sequence");
  for (const extension of children(der, extensions)) {
    const parts = children(der, extension);
    if (!parts[0] || parts[0].tag !== 0x06 || hex(der.subarray(parts[0].body, parts[0].end)) !== OID_EKU) continue;
    const value = parts[parts.length - 1];
    if (!value || value.tag !== 0x04) fail("extended key usage is not an octet string");
    const list = tlv(der, value.body, value.end);
    if (list.tag !== SEQUENCE || list.end !== value.end) fail("extended key usage is not a sequence");
    return children(der, list).map((p) => {
      if (p.tag !== 0x06) fail("extended key usage holds a non-identifier");
      return dotted(der.subarray(p.body, p.end));
    });
  }
  return [];
}
