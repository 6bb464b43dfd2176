// A CBOR (RFC 8949) decoder for what the scanner reads: every major type,
// tags, definite and indefinite lengths. Maps become Map (keys may be
// integers or text), byte strings Uint8Array, tags Tagged. Hostile input
// cannot hang or exhaust the page: nesting is bounded, every length is
// checked against the bytes left before anything is allocated, and each
// item consumes at least one byte.

import { StepError } from "./credentials-step.js";

/** A tagged item: `tag` (a number) and its `value`. */
export class Tagged {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

/** The simple value `undefined` and unassigned simple values keep their number. */
export class Simple {
  constructor(value) {
    this.value = value;
  }
}

const BREAK = Symbol("break");
export const MAX_DEPTH = 32;
const text = new TextDecoder("utf-8", { fatal: true });

const fail = (detail) => {
  throw new StepError("cbor", detail);
};

class Reader {
  constructor(bytes, maxDepth) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.maxDepth = maxDepth;
  }

  left() {
    return this.bytes.length - this.pos;
  }

  take(n) {
    if (n > this.left()) {
      fail(`needs ${n} bytes at ${this.pos}, ${this.left()} left`);
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  // The argument of a head: a number, or a BigInt above 2^53.
  argument(info) {
    if (info < 24) return info;
    const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
    if (size === undefined) fail(`reserved additional information ${info} at ${this.pos - 1}`);
    if (size > this.left()) fail(`truncated head at ${this.pos}`);
    const at = this.pos;
    this.pos += size;
    if (size === 1) return this.view.getUint8(at);
    if (size === 2) return this.view.getUint16(at);
    if (size === 4) return this.view.getUint32(at);
    const big = this.view.getBigUint64(at);
    return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  // A length, which must fit in what is left (each element takes a byte at least).
  length(info, per = 1) {
    const n = this.argument(info);
    if (typeof n === "bigint" || n * per > this.left()) {
      fail(`length ${n} at ${this.pos} exceeds the ${this.left()} bytes left`);
    }
    return n;
  }

  item(depth) {
    if (depth > this.maxDepth) fail(`nested deeper than ${this.maxDepth}`);
    if (this.left() < 1) fail("unexpected end of input");
    const initial = this.bytes[this.pos++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return this.argument(info);
      case 1: {
        const n = this.argument(info);
        return typeof n === "bigint" ? -1n - n : n === Number.MAX_SAFE_INTEGER ? -1n - BigInt(n) : -1 - n;
      }
      case 2:
      case 3: {
        let bytes;
        if (info === 31) {
          const chunks = [];
          for (;;) {
            if (this.left() < 1) fail("unterminated indefinite string");
            if (this.bytes[this.pos] === 0xff) {
              this.pos++;
              break;
            }
            const head = this.bytes[this.pos++];
            if (head >> 5 !== major || (head & 0x1f) === 31) fail(`bad chunk in an indefinite string at ${this.pos - 1}`);
            chunks.push(this.take(this.length(head & 0x1f)));
          }
          bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
          let o = 0;
          for (const c of chunks) {
            bytes.set(c, o);
            o += c.length;
          }
        } else {
          bytes = this.take(this.length(info)).slice();
        }
        if (major === 2) return bytes;
        try {
          return text.decode(bytes);
        } catch {
          return fail(`text string at ${this.pos} is not UTF-8`);
        }
      }
      case 4: {
        const out = [];
        if (info === 31) {
          for (;;) {
            const v = this.item(depth + 1);
            if (v === BREAK) return out;
            out.push(v);
          }
        }
        const n = this.length(info);
        for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
        return out;
      }
      case 5: {
        const out = new Map();
        const put = (k, v) => {
          if (k instanceof Uint8Array || Array.isArray(k) || k instanceof Map || k instanceof Tagged) {
            fail("map key is not an integer or text");
          }
          if (out.has(k)) fail(`duplicate map key ${String(k)}`);
          out.set(k, v);
        };
        if (info === 31) {
          for (;;) {
            const k = this.item(depth + 1);
            if (k === BREAK) return out;
            put(k, this.value(depth + 1));
          }
        }
        const n = this.length(info, 2);
        for (let i = 0; i < n; i++) {
          const k = this.value(depth + 1);
          put(k, this.value(depth + 1));
        }
        return out;
      }
      case 6: {
        const tag = this.argument(info);
        return new Tagged(tag, this.value(depth + 1));
      }
      default:
        return this.simple(info);
    }
  }

  // An item that may not be a break.
  value(depth) {
    const v = this.item(depth);
    if (v === BREAK) fail(`unexpected break at ${this.pos - 1}`);
    return v;
  }

  simple(info) {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info === 23) return undefined;
    if (info === 24) {
      const v = this.take(1)[0];
      if (v < 32) fail(`simple value ${v} in two bytes`);
      return new Simple(v);
    }
    if (info === 25) return half(this.take(2));
    if (info === 26) {
      const at = this.take(4);
      return new DataView(at.buffer, at.byteOffset, 4).getFloat32(0);
    }
    if (info === 27) {
      const at = this.take(8);
      return new DataView(at.buffer, at.byteOffset, 8).getFloat64(0);
    }
    if (info === 31) return BREAK;
    if (info < 20) return new Simple(info);
    return fail(`reserved simple value ${info}`);
  }
}

function half(b) {
  const h = (b[0] << 8) | b[1];
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * 2 ** -14 * (mant / 1024);
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

/**
 * Decodes one CBOR item that must fill `bytes` exactly.
 * Throws StepError("cbor") on anything malformed.
 */
export function decode(bytes, { maxDepth = MAX_DEPTH } = {}) {
  if (!(bytes instanceof Uint8Array)) fail("not bytes");
  const reader = new Reader(bytes, maxDepth);
  const value = reader.value(0);
  if (reader.left() !== 0) fail(`${reader.left()} bytes after the item`);
  return value;
}

/** Maps with text keys to plain objects, all the way down (for the DCC payload). */
export function plain(value) {
  if (value instanceof Map) {
    const out = {};
    for (const [k, v] of value) {
      if (typeof k === "string" && k !== "__proto__") out[k] = plain(v);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Tagged) return plain(value.value);
  if (typeof value === "bigint") return Number(value);
  return value;
}
