// Base45 (RFC 9285) decoding: the QR alphanumeric text of an HCERT.

import { StepError } from "./credentials-step.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Base45 text to bytes; throws StepError("base45") on bad input. */
export function decode(text) {
  if (typeof text !== "string") {
    throw new StepError("base45", "not text");
  }
  if (text.length % 3 === 1) {
    throw new StepError("base45", `a length of ${text.length} leaves one character over`);
  }
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const digits = [];
    for (const c of text.slice(i, i + 3)) {
      const v = VALUE.get(c);
      if (v === undefined) {
        throw new StepError("base45", `character ${JSON.stringify(c)} at ${i + digits.length} is not Base45`);
      }
      digits.push(v);
    }
    if (digits.length === 3) {
      const n = digits[0] + digits[1] * 45 + digits[2] * 2025;
      if (n > 0xffff) {
        throw new StepError("base45", `group at ${i} is ${n}, above 65535`);
      }
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      const n = digits[0] + digits[1] * 45;
      if (n > 0xff) {
        throw new StepError("base45", `last pair is ${n}, above 255`);
      }
      out[o++] = n;
    }
  }
  return out;
}
