#!/usr/bin/env python3
"""An independent check of an HCERT (EU DCC) code, for lionrock's
interoperability test: pycose, cbor2 and base45 (pinned in
scripts/services.sh ensure_dcc_python), nothing of lionrock's own.

    dcc-verify.py TRUST_LIST.json HC1:...

TRUST_LIST.json is a DSC trust list in the EU DCC Gateway shape (as
GET /api/v1/credentials/trust-list/dsc serves it). Prints one JSON object
{valid, kid, country, iss, iat, exp, hcert} and exits 0 when the signature
verifies with the listed certificate whose kid the code names, else prints
{valid: false, reason} and exits 1.
"""

import base64
import json
import sys
import zlib

import base45
import cbor2
from cryptography import x509
from pycose.headers import KID
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import CoseMessage


def fail(reason):
    print(json.dumps({"valid": False, "reason": reason}))
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        trust_list = json.load(f)
    code = sys.argv[2].strip()
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
