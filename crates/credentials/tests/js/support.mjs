// Test helpers for the scanner's modules: a test-only CSCA and document
// signer (keys made for these tests, signing nothing real), a small CBOR
// encoder, Base45 encoding, and the whole issuing pipeline, so each check
// of the scanner can be driven from a code made here.

import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const assets = path.resolve(here, "../../assets");
export const repo = path.resolve(here, "../../../..");

/** The conformance vectors: LIONROCK_TEST_DCC_DIR, else ../shared/testdata/dcc beside the clone. */
export const dccDir = process.env.LIONROCK_TEST_DCC_DIR || path.resolve(repo, "../shared/testdata/dcc");

const { base64, toBase64, sha256 } = await import(path.join(assets, "credentials-verify.js"));

// Test-only keys (openssl, prime256v1); they sign nothing outside these tests.
export const CSCA = {
  cert: "MIIBqjCCAVGgAwIBAgIUBu3jqcDW8SX4E/25VJJtHcyoiyIwCgYIKoZIzj0EAwIwKjELMAkGA1UEBhMCSEsxGzAZBgNVBAMMEmxpb25yb2NrIHRlc3QgY3NjYTAgFw0yNjExMzAxOTQ4NThaGA8yMTI2MTEwNjE5NDg1OFowKjELMAkGA1UEBhMCSEsxGzAZBgNVBAMMEmxpb25yb2NrIHRlc3QgY3NjYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCiRg2azr0GeXZPoV79uMAw8g4v7ALj1xnA4TwKeeIDcPQtj10InxTDRYx6c8Z3F64p//lAMl0I6KaiC30wMuC+jUzBRMB0GA1UdDgQWBBQpv8qE71oYk9Iz6Vkn5FI3laEDQjAfBgNVHSMEGDAWgBQpv8qE71oYk9Iz6Vkn5FI3laEDQjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIC/hHxMYtAuhDp5WnRWJf60WJ+1nJ54onpWvkg9ISklzAiBxVoy5xuJpnr0mMl+o2O3Ov3AFnAVT1xJpCjUO87XGxg==",
  key: "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg42LyV2SJBbA2LKGvfQg3R3vAvL0OHzts4Og86ZPRhQ+hRANCAAQokYNms69Bnl2T6Fe/bjAMPIOL+wC49cZwOE8CnniA3D0LY9dCJ8Uw0WMenPGdxeuKf/5QDJdCOimogt9MDLgv",
};
export const DSC = {
  cert: "MIIBqTCCAU+gAwIBAgIUAM3tV85rNmSv1tU6IWiUfYwc2FYwCgYIKoZIzj0EAwIwKTELMAkGA1UEBhMCSEsxGjAYBgNVBAMMEWxpb25yb2NrIHRlc3QgZHNjMCAXDTI2MTEzMDE5NDg1OVoYDzIxMjYxMTA2MTk0ODU5WjApMQswCQYDVQQGEwJISzEaMBgGA1UEAwwRbGlvbnJvY2sgdGVzdCBkc2MwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARFCd35tvbOTye9E3xQ4K5sG6vj4pirk7ictHHJJMYFXAdEkzD2ZTKPNzyV2ZY6BXI7BgGwvpB3Opruc296atMbo1MwUTAdBgNVHQ4EFgQUBglcZkKgoOin9LYAWMfMa4NImBQwHwYDVR0jBBgwFoAUBglcZkKgoOin9LYAWMfMa4NImBQwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA7OBkXQ7SksUjFGXIVpwKrs15rv/W1xPATiTBASQU3XgCIETK0DWIQ/ZjYZE0VuBvjdNjhHa4IJyLtV3IywLeeUDg",
  key: "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggBbdtJdhRQqLYpuXThd5S4OQCVTXvBfdnOb8WEFQ66WhRANCAARFCd35tvbOTye9E3xQ4K5sG6vj4pirk7ictHHJJMYFXAdEkzD2ZTKPNzyV2ZY6BXI7BgGwvpB3Opruc296atMb",
};

/** A second root: the one a rotation brings (test-only, openssl, prime256v1). */
export const CSCA2 = {
  cert: "MIIBrzCCAVWgAwIBAgIUDlgh8JpnyXR4uI0XiPdR9f6wQd0wCgYIKoZIzj0EAwIwLDELMAkGA1UEBhMCSEsxHTAbBgNVBAMMFGxpb25yb2NrIHRlc3QgY3NjYSAyMCAXDTI2MTEzMDIwNDY0N1oYDzIxMjYxMTA2MjA0NjQ3WjAsMQswCQYDVQQGEwJISzEdMBsGA1UEAwwUbGlvbnJvY2sgdGVzdCBjc2NhIDIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARaRbKrozt+BLJSsAJx1u5Kn04eBVi2zyzVQBCUZuRUkzU9qZe/2Wd8lRsJXuDr3b4S3dPAnezJHDSW/TQM2oIho1MwUTAdBgNVHQ4EFgQUwlcRZQ7aKyRmIA7i0ZTt0KRfWuUwHwYDVR0jBBgwFoAUwlcRZQ7aKyRmIA7i0ZTt0KRfWuUwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAgTgzHLLv83tK2eEumh5vmw/ZrwH6N5e5ODdagfMtULMCIGpnnFxJ71lLrxU0KNFflX/9Wqj6vlvnNSTqWVYh+w8j",
  key: "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg11GVxKriUDff6Wgy+kA0XpGBbQ0l1UBc+/io6xyx+fuhRANCAARaRbKrozt+BLJSsAJx1u5Kn04eBVi2zyzVQBCUZuRUkzU9qZe/2Wd8lRsJXuDr3b4S3dPAnezJHDSW/TQM2oIh",
};

/** The DSC's key in a certificate whose extended key usage allows tests only (1.3.6.1.4.1.1847.2021.1.1). */
export const DSC_TESTS_ONLY = {
  cert: "MIIB7DCCAZKgAwIBAgIUJVf6nMcHo9eLtA8wzKvTJb5j7/swCgYIKoZIzj0EAwIwODELMAkGA1UEBhMCSEsxKTAnBgNVBAMMIGxpb25yb2NrIHRlc3QgZHNjIGZvciB0ZXN0cyBvbmx5MCAXDTI2MTEzMDIwNDY0NFoYDzIxMjYxMTA2MjA0NjQ0WjA4MQswCQYDVQQGEwJISzEpMCcGA1UEAwwgbGlvbnJvY2sgdGVzdCBkc2MgZm9yIHRlc3RzIG9ubHkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARFCd35tvbOTye9E3xQ4K5sG6vj4pirk7ictHHJJMYFXAdEkzD2ZTKPNzyV2ZY6BXI7BgGwvpB3Opruc296atMbo3gwdjAdBgNVHQ4EFgQUBglcZkKgoOin9LYAWMfMa4NImBQwHwYDVR0jBBgwFoAUBglcZkKgoOin9LYAWMfMa4NImBQwDgYDVR0PAQH/BAQDAgeAMAwGA1UdEwEB/wQCMAAwFgYDVR0lBA8wDQYLKwYBBAGON49lAQEwCgYIKoZIzj0EAwIDSAAwRQIgI5+ypi3ANe3BznCpfgcEc6bdHBXyXc1yx+mpy7G8uLgCIQCPt8ih+A87FhIRArFdIyopzIa1ktQC723W/hR384cNjw==",
  key: DSC.key,
};

export const signingKey = (pkcs8) =>
  crypto.subtle.importKey("pkcs8", base64(pkcs8), { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);

export const sign = async (pkcs8, bytes) =>
  new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, await signingKey(pkcs8), bytes));

/** The DCC kid of a DER certificate: the first 8 bytes of its SHA-256. */
export const kidOf = async (der) => (await sha256(der)).slice(0, 8);

// ---- CBOR encoding (tests only) ----------------------------------------------

function head(major, n) {
  if (n < 24) return [(major << 5) | n];
  if (n < 0x100) return [(major << 5) | 24, n];
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff];
  if (n < 0x100000000) return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const big = BigInt(n);
  return [(major << 5) | 27, ...[56n, 48n, 40n, 32n, 24n, 16n, 8n, 0n].map((s) => Number((big >> s) & 0xffn))];
}

/** Tagged value for encode(). */
export class Tag {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

export function encode(value) {
  const out = [];
  const put = (v) => {
    if (v === null) out.push(0xf6);
    else if (v === true) out.push(0xf5);
    else if (v === false) out.push(0xf4);
    else if (typeof v === "number" && Number.isInteger(v)) out.push(...(v >= 0 ? head(0, v) : head(1, -1 - v)));
    else if (typeof v === "number") {
      const b = new Uint8Array(9);
      b[0] = 0xfb;
      new DataView(b.buffer).setFloat64(1, v);
      out.push(...b);
    } else if (typeof v === "string") {
      const b = new TextEncoder().encode(v);
      out.push(...head(3, b.length), ...b);
    } else if (v instanceof Uint8Array) out.push(...head(2, v.length), ...v);
    else if (Array.isArray(v)) {
      out.push(...head(4, v.length));
      v.forEach(put);
    } else if (v instanceof Tag) {
      out.push(...head(6, v.tag));
      put(v.value);
    } else if (v instanceof Map) {
      out.push(...head(5, v.size));
      for (const [k, x] of v) {
        put(k);
        put(x);
      }
    } else {
      const entries = Object.entries(v);
      out.push(...head(5, entries.length));
      for (const [k, x] of entries) {
        put(k);
        put(x);
      }
    }
  };
  put(value);
  return new Uint8Array(out);
}

// ---- Base45 encoding and zlib (tests only) ---------------------------------

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
export function base45(bytes) {
  let s = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i] * 256 + bytes[i + 1];
    s += ALPHABET[n % 45];
    n = Math.floor(n / 45);
    s += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)];
  }
  if (bytes.length % 2) {
    const n = bytes[bytes.length - 1];
    s += ALPHABET[n % 45] + ALPHABET[Math.floor(n / 45)];
  }
  return s;
}

export async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// ---- issuing ---------------------------------------------------------------

export const NAME = { fn: "Chan", fnt: "CHAN", gn: "Tai Man", gnt: "TAI<MAN" };

export const RULES = {
  version: 3,
  validFrom: "2026-01-01T00:00:00Z",
  vaccination: { minDaysAfterCompleteDose: 14, maxDaysAfterLastDose: 365 },
  test: { maxHoursSinceSample: { "LP6464-4": 72, "LP217198-3": 48 }, acceptedResult: "260415000" },
  recovery: { minDaysAfterFirstPositive: 11, useCertificateValidity: true },
  exemption: { accepted: true },
};

export const vaccination = (over = {}) => ({
  tg: "840539006", vp: "1119349007", mp: "EU/1/20/1528", ma: "ORG-100030215",
  dn: 2, sd: 2, dt: "2026-10-01", co: "HK", is: "Department of Health", ci: "URN:UVCI:01:HK:VAC1#A", ...over,
});

/**
 * An HC1 code: `dcc` (the payload object) signed by the test DSC, issued at
 * `iat` and expiring at `exp` (seconds). `alter` may change the COSE parts.
 */
export async function issue(dcc, { iat, exp, key = DSC.key, cert = DSC.cert, alg = -7, unprotectedKid = false, tag = 18 } = {}) {
  const kid = await kidOf(base64(cert));
  const protectedHeader = encode(new Map(unprotectedKid ? [[1, alg]] : [[1, alg], [4, kid]]));
  const payload = encode(new Map([[1, "HK"], [4, exp], [6, iat], [-260, new Map([[1, dcc]])]]));
  const { sigStructure } = await import(path.join(assets, "credentials-cose.js"));
  const signature = await sign(key, sigStructure(protectedHeader, payload));
  const array = [protectedHeader, unprotectedKid ? new Map([[4, kid]]) : new Map(), payload, signature];
  const cose = encode(tag ? new Tag(tag, array) : array);
  return `HC1:${base45(await deflate(cose))}`;
}

export const dccOf = (record, group = "v") => ({ ver: "1.3.0", nam: NAME, dob: "1980-02-29", [group]: [record] });

export const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** A DSC list entry for a test signer ({ cert }). */
export const entryOf = async (signer, issuedAt = "2026-11-30T00:00:00Z") => ({
  kid: toBase64(await kidOf(base64(signer.cert))), country: "HK", certificateType: "DSC", thumbprint: "",
  timestamp: issuedAt, rawData: signer.cert,
});

/**
 * A trust bundle as the server sends it: signed by the active root `csca`
 * (the test CSCA by default), which the payload names, and by each of
 * `retired` (roots still published) in `signatures`.
 */
export async function bundle({
  issuedAt, revoked = [], rules = RULES, staleAfterHours = 48, csca = CSCA, retired = [], dsc = null,
  timeZone = "Asia/Hong_Kong", activeRoot = null,
} = {}) {
  const payload = {
    issuedAt, country: "HK", timeZone,
    activeRoot: activeRoot ?? hex(await sha256(base64(csca.cert))),
    dsc: dsc ?? [await entryOf(DSC, issuedAt)],
    revoked, rules, staleAfterHours,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  const url = (b) => toBase64(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const signatures = [];
  for (const root of [csca, ...retired]) signatures.push({ csca: root.cert, signature: url(await sign(root.key, bytes)) });
  return { payload: url(bytes), signature: signatures[0].signature, csca: csca.cert, signatures };
}

/** The revocation list entry of a UVCI. */
export const revocationOf = async (uvci) => toBase64((await sha256(new TextEncoder().encode(uvci))).slice(0, 16));
