#!/usr/bin/env python3
"""An independent check of an HCERT (EU DCC) code, for lionrock's
interoperability test: pycose, cbor2, base45 and cryptography (pinned in
scripts/services.sh ensure_dcc_python), nothing of lionrock's own.

    dcc-verify.py --dsc DSC_LIST.json [--csca CSCA_LIST.json]
                  [--issued-at X-ISSUED-AT --signature X-SIGNATURE] HC1:...

DSC_LIST.json is a DSC trust list in the EU DCC Gateway shape, the bytes
exactly as GET /api/v1/credentials/trust-list/dsc served them. With
--csca (the CSCA list as served), the signer's certificate must be issued
directly by one of the listed roots; with --issued-at and --signature (the
DSC list's X-Issued-At and X-Signature headers), the DSC list must be signed
by the CSCA list's first (active) root: ES256 over
"/api/v1/credentials/trust-list/dsc" LF <issued-at> LF <body>.

Prints one JSON object {valid, kid, country, iss, iat, exp, hcert} and
exits 0 when all holds, else prints {valid: false, reason} and exits 1.
"""

import argparse
import base64
import json
import sys
import zlib

import base45
import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pycose.headers import KID
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import CoseMessage

DSC_PATH = "/api/v1/credentials/trust-list/dsc"


def fail(reason):
    print(json.dumps({"valid": False, "reason": reason}))
    sys.exit(1)


def certificates(entries, kind):
    return [
        x509.load_der_x509_certificate(base64.b64decode(e["rawData"]))
        for e in entries
        if e.get("certificateType") == kind
    ]


def list_signed(body, issued_at, signature, root):
    """Whether the DSC list's signature verifies with the root's key."""
    raw = base64.b64decode(signature)
    if len(raw) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    message = DSC_PATH.encode() + b"\n" + issued_at.encode() + b"\n" + body
    try:
        root.public_key().verify(der, message, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def issued_by_one_of(certificate, roots):
    for root in roots:
        try:
            certificate.verify_directly_issued_by(root)
            return True
        except (ValueError, TypeError, InvalidSignature):
            continue
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsc", required=True)
    parser.add_argument("--csca")
    parser.add_argument("--issued-at")
    parser.add_argument("--signature")
    parser.add_argument("code")
    args = parser.parse_args()
    with open(args.dsc, "rb") as f:
        body = f.read()
    trust_list = json.loads(body)
    roots = []
    if args.csca:
        with open(args.csca, encoding="utf-8") as f:
            roots = certificates(json.load(f), "CSCA")
        if not roots:
            fail("no root in the CSCA list")
    if args.signature is not None:
        if not roots or args.issued_at is None:
            fail("--signature needs --csca and --issued-at")
        if not list_signed(body, args.issued_at, args.signature, roots[0]):
            fail("list signature")

    code = args.code.strip()
    if not code.startswith("HC1:"):
        fail("prefix")
    raw = zlib.decompress(base45.b45decode(code[4:]))
    item = cbor2.loads(raw)
    if isinstance(item, cbor2.CBORTag) and item.tag == 61:
        item = item.value
    if isinstance(item, cbor2.CBORTag) and item.tag == 18:
        item = item.value
    message = CoseMessage.decode(cbor2.dumps(cbor2.CBORTag(18, item)))
    kid = message.phdr.get(KID) or message.uhdr.get(KID)
    if not kid:
        fail("no kid")
    kid_b64 = base64.b64encode(kid).decode()
    entries = [e for e in trust_list if e.get("kid") == kid_b64 and e.get("certificateType") == "DSC"]
    if not entries:
        fail(f"kid {kid_b64} is not in the trust list")
    for entry in entries:
        certificate = x509.load_der_x509_certificate(base64.b64decode(entry["rawData"]))
        numbers = certificate.public_key().public_numbers()
        message.key = EC2Key(
            crv=P256, x=numbers.x.to_bytes(32, "big"), y=numbers.y.to_bytes(32, "big")
        )
        if message.verify_signature():
            if roots and not issued_by_one_of(certificate, roots):
                fail("chain")
            claims = cbor2.loads(message.payload)
            print(json.dumps({
                "valid": True,
                "kid": kid_b64,
                "country": entry.get("country"),
                "iss": claims.get(1),
                "iat": claims.get(6),
                "exp": claims.get(4),
                "hcert": claims.get(-260, {}).get(1),
            }))
            return
    fail("bad signature")


if __name__ == "__main__":
    main()
