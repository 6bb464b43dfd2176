// Tampering with a code's signature while keeping it valid Base45 and zlib:
// re-encode the COSE with one signature bit flipped (the browser test does
// the same in Rust).
import path from "node:path";
import { assets, base45, deflate, encode, Tag } from "./support.mjs";

const { decode: fromBase45 } = await import(path.join(assets, "credentials-base45.js"));
const { inflate } = await import(path.join(assets, "credentials-verify.js"));
const { parseSign1 } = await import(path.join(assets, "credentials-cose.js"));

export async function tamperSignature(code) {
  const sign1 = parseSign1(await inflate(fromBase45(code.slice(4))));
  const signature = sign1.signature.slice();
  signature[10] ^= 0x01;
  const cose = encode(new Tag(18, [sign1.protectedBytes, sign1.unprotectedHeader, sign1.payload, signature]));
  return `HC1:${base45(await deflate(cose))}`;
}
