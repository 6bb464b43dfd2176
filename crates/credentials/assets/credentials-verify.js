// The scanner's check, without I/O: a trust bundle is verified against the
// root (CSCA) certificate pinned on this device (following the server's
// root rollover), and an HC1 code against the bundle's document signers
// (their key usage too), revocations and validity rules, at a given time,
// counting days by the installation's time zone. WebCrypto (ECDSA P-256 and
// RSA-PSS, SHA-256) and DecompressionStream do the cryptography and zlib;
// our own modules do Base45, CBOR, COSE and DER.

import { decode as base45 } from "./credentials-base45.js";
import { decode as cbor, plain } from "./credentials-cbor.js";
import { ES256, PS256, parseSign1, sigStructure } from "./credentials-cose.js";
import { allows, publicKeyOf } from "./credentials-der.js";
import { StepError } from "./credentials-step.js";

export { StepError };

/** Inflated payloads above this size are refused (as hcert does). */
export const MAX_INFLATED = 256 * 1024;
const DAY = 86_400_000;

// ---- small helpers ---------------------------------------------------------

/** Standard or URL-safe base64, padded or not, to bytes. */
export function base64(text) {
  const normal = String(text).replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(normal) || normal.length % 4 === 1) {
    throw new Error("not base64");
  }
  const binary = atob(normal + "=".repeat((4 - (normal.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function toBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** zlib inflate through DecompressionStream, refusing output above `limit`. */
export async function inflate(bytes, limit = MAX_INFLATED) {
  const chunks = [];
  let total = 0;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw new StepError("zlib", `inflates past ${limit} bytes`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof StepError) throw e;
    throw new StepError("zlib", String(e && e.message ? e.message : e));
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

const ecdsa = { name: "ECDSA", hash: "SHA-256" };
// RSASSA-PSS with SHA-256 and a 32-byte salt, as HCERT's PS256 signs.
const pss = { name: "RSA-PSS", saltLength: 32 };

/** A certificate's key for WebCrypto: { kind, usage, key (null unless P-256 or RSA) }. */
async function importKey(der) {
  const { spki, kind, usage } = publicKeyOf(der);
  let key = null;
  if (kind === "p256") {
    key = await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  } else if (kind === "rsa") {
    key = await crypto.subtle.importKey("spki", spki, { name: "RSA-PSS", hash: "SHA-256" }, false, ["verify"]);
  }
  return { kind, usage, key };
}

async function p256Verifies(der, signature, bytes) {
  let key;
  try {
    key = await importKey(der);
  } catch {
    return false;
  }
  return key.kind === "p256" && signature.length === 64 && crypto.subtle.verify(ecdsa, key.key, signature, bytes);
}

// ---- the trust bundle ------------------------------------------------------

/**
 * Checks a trust bundle ({ payload, signature, csca, signatures }). The
 * active root (`csca`) must sign the payload and be the root the payload
 * names (`activeRoot`, its SHA-256 in hex). When a root was pinned before
 * (its SHA-256 in hex), one of `signatures` must be by that root: so a
 * device follows the server's root rollover (the retired root signs beside
 * the new one) and refuses a bundle no root it trusts signed. Returns
 * { payload (parsed JSON), cscaFingerprint (the active root: pin it) }.
 */
export async function verifyBundle(bundle, pinnedFingerprint = null) {
  let payloadBytes;
  let active;
  let signers;
  try {
    payloadBytes = base64(bundle.payload);
    active = { csca: base64(bundle.csca), signature: base64(bundle.signature) };
    signers = Array.isArray(bundle.signatures)
      ? bundle.signatures.map((s) => ({ csca: base64(s.csca), signature: base64(s.signature) }))
      : [];
  } catch {
    throw new StepError("bundle", "a field is missing or not base64", "malformed");
  }
  const cscaFingerprint = hex(await sha256(active.csca));
  if (pinnedFingerprint) {
    let pinnedSigned = false;
    let pinnedSeen = false;
    for (const signer of [active, ...signers]) {
      if (hex(await sha256(signer.csca)) !== pinnedFingerprint) continue;
      pinnedSeen = true;
      if (await p256Verifies(signer.csca, signer.signature, payloadBytes)) {
        pinnedSigned = true;
        break;
      }
    }
    if (!pinnedSeen) {
      throw new StepError("bundle", "signed by no root certificate this device trusts", "csca-changed");
    }
    if (!pinnedSigned) throw new StepError("bundle", "the pinned root's signature does not verify", "bad-signature");
  }
  if (!(await p256Verifies(active.csca, active.signature, payloadBytes))) {
    throw new StepError("bundle", "the signature does not verify", "bad-signature");
  }
  let payload;
  try {
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payloadBytes));
  } catch {
    throw new StepError("bundle", "the payload is not JSON", "malformed");
  }
  if (!payload || !Array.isArray(payload.dsc) || !payload.rules || Number.isNaN(Date.parse(payload.issuedAt))) {
    throw new StepError("bundle", "the payload lacks dsc, rules or issuedAt", "malformed");
  }
  if (payload.activeRoot !== cscaFingerprint) {
    throw new StepError("bundle", "the root certificate is not the active root the payload names", "bad-signature");
  }
  return { payload, cscaFingerprint };
}

/**
 * Document signers by kid (base64): each kid maps to every certificate
 * listed under it (8 bytes can collide; each is tried, as hcert does).
 */
export function signersOf(entries) {
  const dsc = new Map();
  for (const entry of entries || []) {
    try {
      const kid = toBase64(base64(entry.kid));
      const der = entry.rawData instanceof Uint8Array ? entry.rawData : base64(entry.rawData);
      dsc.set(kid, [...(dsc.get(kid) || []), der]);
    } catch {
      // An unreadable entry is skipped: codes under it read as an unknown kid.
    }
  }
  return dsc;
}

/**
 * The verifier's trust from a verified bundle payload: document signers by
 * kid, the revoked UVCI hashes, the rules, the installation's time zone,
 * the lists' age limit.
 */
export function prepareTrust(payload) {
  return {
    dsc: signersOf(payload.dsc),
    keys: new Map(),
    revoked: new Set((payload.revoked || []).map(String)),
    rules: payload.rules || null,
    timeZone: typeof payload.timeZone === "string" ? payload.timeZone : "UTC",
    issuedAt: new Date(payload.issuedAt),
    staleAfterHours: Number(payload.staleAfterHours) || 48,
  };
}

/** How old the lists are at `now`, in whole hours, and whether they are stale. */
export function age(trust, now) {
  const hours = Math.max(0, Math.floor((now.getTime() - trust.issuedAt.getTime()) / 3_600_000));
  return { hours, stale: hours >= trust.staleAfterHours };
}

// ---- the code --------------------------------------------------------------

/**
 * Verifies an HC1 code at `now` (a Date) against `trust` (prepareTrust).
 * Resolves to { kind, name, dob, ci, issuer, issuedAt, expiresAt, record }
 * or rejects with a StepError naming the step that failed. Pass
 * `{ rules: false }` to stop after the signature, claims and revocation.
 */
export async function verify(text, trust, now, { rules = true } = {}) {
  const code = String(text).trim();
  if (!code.startsWith("HC1:")) throw new StepError("prefix", "does not start with HC1:");
  const compressed = base45(code.slice(4));
  const cose = parseSign1(await inflate(compressed));
  if (cose.alg !== ES256 && cose.alg !== PS256) {
    throw new StepError("algorithm", `algorithm ${String(cose.alg)} is neither ES256 nor PS256`);
  }
  if (!cose.kid) throw new StepError("unknown-kid", "no kid in either header");
  const kid = toBase64(cose.kid);
  const candidates = trust.dsc.get(kid);
  if (!candidates || candidates.length === 0) throw new StepError("unknown-kid", `kid ${kid} is in no trust list`);
  const signed = sigStructure(cose.protectedBytes, cose.payload);
  const wanted = cose.alg === ES256 ? "p256" : "rsa";
  let signer = null;
  let fitting = 0;
  for (const [index, der] of candidates.entries()) {
    const cached = `${kid}/${index}`;
    if (!trust.keys.has(cached)) {
      try {
        trust.keys.set(cached, await importKey(der));
      } catch (e) {
        trust.keys.set(cached, { kind: "unreadable", key: null, detail: e.message });
      }
    }
    const key = trust.keys.get(cached);
    if (key.kind !== wanted || !key.key) continue;
    fitting++;
    const ok =
      cose.alg === ES256
        ? cose.signature.length === 64 && (await crypto.subtle.verify(ecdsa, key.key, cose.signature, signed))
        : await crypto.subtle.verify(pss, key.key, cose.signature, signed);
    if (ok) {
      signer = key;
      break;
    }
  }
  if (!signer && fitting === 0) {
    throw new StepError("algorithm", `no signer under kid ${kid} has a key for ${cose.alg === ES256 ? "ES256" : "PS256"}`);
  }
  if (!signer) throw new StepError("bad-signature", "the signature does not verify with the signer's key");

  const claims = cbor(cose.payload);
  if (!(claims instanceof Map)) throw new StepError("claims", "the CWT is not a map");
  const exp = Number(claims.get(4));
  const iat = Number(claims.get(6));
  if (!Number.isFinite(exp) || !Number.isFinite(iat)) throw new StepError("claims", "exp or iat is missing");
  const seconds = now.getTime() / 1000;
  if (seconds < iat) throw new StepError("not-yet-valid", `issued at ${iat}, now ${Math.floor(seconds)}`);
  if (seconds > exp) throw new StepError("expired", `expired at ${exp}, now ${Math.floor(seconds)}`);
  const hcert = claims.get(-260);
  const inner = hcert instanceof Map ? hcert.get(1) : undefined;
  if (!(inner instanceof Map)) throw new StepError("payload", "no DCC under claim -260, key 1");
  const dcc = plain(inner);
  const groups = ["v", "t", "r", "e"].filter((g) => dcc[g] !== undefined);
  if (groups.length !== 1 || !Array.isArray(dcc[groups[0]]) || dcc[groups[0]].length !== 1) {
    throw new StepError("payload", "not exactly one record in one of v, t, r, e", "record");
  }
  const kind = { v: "vaccination", t: "test", r: "recovery", e: "exemption" }[groups[0]];
  if (!allows(signer.usage, kind)) throw new StepError("key-usage", `the signer may not sign a ${kind} record`);
  const record = dcc[groups[0]][0] || {};
  const uvci = String(record.ci || "");
  const revokedKey = toBase64((await sha256(new TextEncoder().encode(uvci))).slice(0, 16));
  if (trust.revoked.has(revokedKey)) throw new StepError("revoked", `${uvci} is revoked`);
  if (rules) checkRules(kind, record, trust.rules, now, trust.timeZone);
  const nam = dcc.nam || {};
  return {
    kind,
    name: { fn: nam.fn || "", gn: nam.gn || "", fnt: nam.fnt || "", gnt: nam.gnt || "" },
    dob: String(dcc.dob || ""),
    ci: uvci,
    issuer: typeof claims.get(1) === "string" ? claims.get(1) : "",
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
    record,
  };
}

// ---- the rules ------------------------------------------------------------

// A `YYYY-MM-DD` (or a date-time, read for its date) as days since 1970.
function day(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(text || ""));
  if (!m) return NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY;
}

/** The calendar date in `timeZone` (an IANA name) at `now`, as days since 1970. */
export function today(now, timeZone = "UTC") {
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric" }).formatToParts(now);
  } catch {
    // An unknown zone: UTC, as the Rust rules do.
    parts = new Intl.DateTimeFormat("en-US", { timeZone: "UTC", year: "numeric", month: "numeric", day: "numeric" }).formatToParts(now);
  }
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return Date.UTC(part("year"), part("month") - 1, part("day")) / DAY;
}

const broken = (reason, detail) => {
  throw new StepError("rules", detail, reason);
};

// Whether day `d` lies within a record's valid-from and valid-until dates.
function within(d, record) {
  const from = day(record.df);
  const until = day(record.du);
  if (Number.isNaN(from) || Number.isNaN(until)) broken("bad-date", `dates ${record.df} to ${record.du}`);
  if (d < from || d > until) broken("outside-validity", `valid ${record.df} to ${record.du}`);
}

/**
 * Applies the bundle's validity rules to one record at `now`, counting days
 * by the calendar of `timeZone` (the installation's); throws StepError("rules").
 */
export function checkRules(kind, record, rules, now, timeZone = "UTC") {
  if (!rules) broken("no-rules", "the trust list carries no rules");
  const d = today(now, timeZone);
  if (kind === "vaccination") {
    const r = rules.vaccination || {};
    const dn = Number(record.dn);
    if (!(dn >= Number(record.sd)) || dn === 0) broken("incomplete", `dose ${record.dn} of ${record.sd}`);
    const since = d - day(record.dt);
    if (Number.isNaN(since)) broken("bad-date", "no vaccination date");
    if (since < (r.minDaysAfterCompleteDose ?? 0)) broken("too-soon", `${since} days after the last dose`);
    if (r.maxDaysAfterLastDose != null && since > r.maxDaysAfterLastDose) {
      broken("too-old", `${since} days after the last dose`);
    }
  } else if (kind === "test") {
    const r = rules.test || {};
    if (String(record.tr) !== String(r.acceptedResult)) broken("test-result", `result ${record.tr}`);
    const maxHours = (r.maxHoursSinceSample || {})[record.tt];
    if (maxHours == null) broken("test-type", `test type ${record.tt} is not accepted`);
    const sampled = Date.parse(record.sc);
    if (Number.isNaN(sampled)) broken("bad-date", "no sample time");
    if (sampled > now.getTime()) broken("test-in-future", "sampled after now");
    if (now.getTime() - sampled > maxHours * 3_600_000) broken("test-too-old", `sampled more than ${maxHours} hours ago`);
  } else if (kind === "recovery") {
    const r = rules.recovery || {};
    const from = day(record.fr) + (r.minDaysAfterFirstPositive ?? 0);
    if (Number.isNaN(from)) broken("bad-date", "no first positive date");
    if (d < from) broken("too-soon", "the recovery window has not begun");
    if (r.useCertificateValidity !== false) within(d, record);
  } else if (kind === "exemption") {
    const r = rules.exemption || {};
    if (!r.accepted) broken("exemption-not-accepted", "exemptions are not accepted");
    within(d, record);
  } else {
    broken("record", `unknown kind ${kind}`);
  }
}
