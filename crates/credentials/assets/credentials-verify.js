// The scanner's check, without I/O: a trust bundle is verified against its
// root (CSCA) certificate, and an HC1 code against the bundle's document
// signers, revocations and validity rules, at a given time. WebCrypto
// (ECDSA P-256, SHA-256) and DecompressionStream do the cryptography and
// zlib; our own modules do Base45, CBOR, COSE and DER.

import { decode as base45 } from "./credentials-base45.js";
import { decode as cbor, plain } from "./credentials-cbor.js";
import { ES256, PS256, parseSign1, sigStructure } from "./credentials-cose.js";
import { publicKeyOf } from "./credentials-der.js";
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

async function importP256(der) {
  const key = publicKeyOf(der);
  if (key.kind !== "p256") return { kind: key.kind, key: null };
  const imported = await crypto.subtle.importKey("spki", key.spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  return { kind: key.kind, key: imported };
}

const ecdsa = { name: "ECDSA", hash: "SHA-256" };

// ---- the trust bundle ------------------------------------------------------

/**
 * Checks a trust bundle ({ payload, signature, csca }) : the signature over
 * the payload's bytes by the CSCA certificate's key, and, when a CSCA was
 * pinned before (its SHA-256 in hex), that it is the same one. Returns
 * { payload (parsed JSON), cscaFingerprint }.
 */
export async function verifyBundle(bundle, pinnedFingerprint = null) {
  let payloadBytes;
  let signature;
  let csca;
  try {
    payloadBytes = base64(bundle.payload);
    signature = base64(bundle.signature);
    csca = base64(bundle.csca);
  } catch {
    throw new StepError("bundle", "a field is missing or not base64", "malformed");
  }
  const cscaFingerprint = hex(await sha256(csca));
  if (pinnedFingerprint && pinnedFingerprint !== cscaFingerprint) {
    throw new StepError("bundle", "signed under another root certificate than the one pinned", "csca-changed");
  }
  let key;
  try {
    key = await importP256(csca);
  } catch {
    throw new StepError("bundle", "the root certificate cannot be read", "malformed");
  }
  if (!key.key || signature.length !== 64 || !(await crypto.subtle.verify(ecdsa, key.key, signature, payloadBytes))) {
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
  return { payload, cscaFingerprint };
}

/**
 * The verifier's trust from a verified bundle payload: document signers by
 * kid (base64), the revoked UVCI hashes, the rules, the lists' age limit.
 */
export function prepareTrust(payload) {
  const dsc = new Map();
  for (const entry of payload.dsc || []) {
    try {
      dsc.set(toBase64(base64(entry.kid)), base64(entry.rawData));
    } catch {
      // An unreadable entry is skipped: codes under it read as an unknown kid.
    }
  }
  return {
    dsc,
    keys: new Map(),
    revoked: new Set((payload.revoked || []).map(String)),
    rules: payload.rules || null,
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
  if (cose.alg === PS256) throw new StepError("algorithm", "PS256 (RSA) is not checked here", "ps256");
  if (cose.alg !== ES256) throw new StepError("algorithm", `algorithm ${String(cose.alg)} is not ES256`);
  if (!cose.kid) throw new StepError("unknown-kid", "no kid in either header");
  const kid = toBase64(cose.kid);
  const der = trust.dsc.get(kid);
  if (!der) throw new StepError("unknown-kid", `kid ${kid} is in no trust list`);
  if (!trust.keys.has(kid)) {
    try {
      trust.keys.set(kid, await importP256(der));
    } catch (e) {
      throw new StepError("bad-signature", `the signer's certificate cannot be read: ${e.message}`);
    }
  }
  const signer = trust.keys.get(kid);
  if (!signer.key) throw new StepError("algorithm", `the signer's key is ${signer.kind}, not P-256`);
  const signed = sigStructure(cose.protectedBytes, cose.payload);
  if (cose.signature.length !== 64 || !(await crypto.subtle.verify(ecdsa, signer.key, cose.signature, signed))) {
    throw new StepError("bad-signature", "the signature does not verify with the signer's key");
  }

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
  const record = dcc[groups[0]][0] || {};
  const uvci = String(record.ci || "");
  const revokedKey = toBase64((await sha256(new TextEncoder().encode(uvci))).slice(0, 16));
  if (trust.revoked.has(revokedKey)) throw new StepError("revoked", `${uvci} is revoked`);
  if (rules) checkRules(kind, record, trust.rules, now);
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

// The verifier's calendar date (its own time zone) as days since 1970.
const today = (now) => Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / DAY;

const broken = (reason, detail) => {
  throw new StepError("rules", detail, reason);
};

/** Applies the bundle's validity rules to one record; throws StepError("rules"). */
export function checkRules(kind, record, rules, now) {
  if (!rules) broken("no-rules", "the trust list carries no rules");
  const d = today(now);
  if (kind === "vaccination") {
    const r = rules.vaccination || {};
    if (!(Number(record.dn) >= Number(record.sd))) broken("incomplete", `dose ${record.dn} of ${record.sd}`);
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
    if (r.useCertificateValidity !== false && (d < day(record.df) || !(d <= day(record.du)))) {
      broken("outside-validity", `valid ${record.df} to ${record.du}`);
    }
  } else if (kind === "exemption") {
    const r = rules.exemption || {};
    if (!r.accepted) broken("exemption-not-accepted", "exemptions are not accepted");
    if (d < day(record.df) || !(d <= day(record.du))) broken("outside-validity", `valid ${record.df} to ${record.du}`);
  } else {
    broken("record", `unknown kind ${kind}`);
  }
}
