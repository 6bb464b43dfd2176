// COSE_Sign1 (RFC 9052) as HCERT uses it: parse the four-element array
// (tag 18, untagged, or inside the CWT tag 61), read alg and kid, and encode
// the Sig_structure the signature covers with a tiny CBOR encoder.

import { decode, Tagged } from "./credentials-cbor.js";
import { StepError } from "./credentials-step.js";

export const ES256 = -7;
export const PS256 = -37;
const ALG = 1;
const KID = 4;

const fail = (detail) => {
  throw new StepError("cose", detail);
};

/**
 * Parses a COSE_Sign1 from its CBOR bytes. Returns { protectedBytes,
 * protectedHeader, unprotectedHeader, payload, signature, alg, kid }, where
 * the kid comes from the protected header, or else the unprotected one.
 */
export function parseSign1(bytes) {
  let item = decode(bytes);
  if (item instanceof Tagged && item.tag === 61) item = item.value;
  if (item instanceof Tagged) {
    if (item.tag !== 18) fail(`tag ${item.tag} is not COSE_Sign1 (18)`);
    item = item.value;
  }
  if (!Array.isArray(item) || item.length !== 4) fail("not a four-element COSE_Sign1 array");
  const [protectedBytes, unprotectedHeader, payload, signature] = item;
  if (!(protectedBytes instanceof Uint8Array)) fail("protected header is not a byte string");
  if (!(unprotectedHeader instanceof Map)) fail("unprotected header is not a map");
  if (!(payload instanceof Uint8Array)) fail("payload is not a byte string");
  if (!(signature instanceof Uint8Array)) fail("signature is not a byte string");
  let protectedHeader = new Map();
  if (protectedBytes.length > 0) {
    try {
      protectedHeader = decode(protectedBytes);
    } catch (e) {
      fail(`protected header: ${e.detail || e.message}`);
    }
    if (!(protectedHeader instanceof Map)) fail("protected header is not a map");
  }
  const alg = protectedHeader.has(ALG) ? protectedHeader.get(ALG) : unprotectedHeader.get(ALG);
  const kid = protectedHeader.has(KID) ? protectedHeader.get(KID) : unprotectedHeader.get(KID);
  if (kid !== undefined && !(kid instanceof Uint8Array)) fail("kid is not a byte string");
  return { protectedBytes, protectedHeader, unprotectedHeader, payload, signature, alg, kid };
}

function head(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** CBOR of ["Signature1", protected, h'', payload]: the bytes an HCERT signature covers. */
export function sigStructure(protectedBytes, payload) {
  const context = new TextEncoder().encode("Signature1");
  const parts = [
    head(4, 4),
    head(3, context.length),
    context,
    head(2, protectedBytes.length),
    protectedBytes,
    head(2, 0),
    head(2, payload.length),
    payload,
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
