//! Each typed error, made by breaking one step of an otherwise good certificate.

use hcert::{Claims, Error, KeyUsage, RecordKind, TrustList, TrustedKey, ValueSet, ValueSets, cose, cwt, envelope};

use crate::support;

fn decode(text: &str) -> Result<hcert::Credential, Error> {
    hcert::decode(text, &support::trust_both(), &ValueSets::unchecked(), support::ISSUED_AT + 60)
}

/// A certificate whose signed claims set is `claims`, whatever it holds.
fn signed(claims: Vec<u8>) -> String {
    envelope::seal(&cose::Sign1::sign(claims, &support::es256()).unwrap())
}

fn cbor(value: &ciborium::Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).unwrap();
    out
}

fn good() -> String {
    hcert::encode(&support::vaccination(), &support::claims(), &support::es256()).unwrap()
}

#[test]
fn a_good_certificate_decodes() {
    let credential = decode(&good()).unwrap();
    assert_eq!(credential.dcc, support::vaccination());
    assert_eq!(credential.claims.issuer.as_deref(), Some("HK"));
}

#[test]
fn prefix() {
    let qr = good();
    assert_eq!(decode(&qr.replacen("HC1:", "HC2:", 1)).unwrap_err(), Error::Prefix);
    assert_eq!(decode(&qr[4..]).unwrap_err(), Error::Prefix);
    assert_eq!(decode("").unwrap_err(), Error::Prefix);
}

#[test]
fn base45() {
    assert!(matches!(decode("HC1:abc").unwrap_err(), Error::Base45(_)), "lower case is not Base45");
    assert!(matches!(decode("HC1:0").unwrap_err(), Error::Base45(_)), "a lone character");
    assert!(matches!(decode("HC1:::").unwrap_err(), Error::Base45(_)), "a final pair over 255");
    assert!(matches!(decode("HC1:::::").unwrap_err(), Error::Base45(_)), "a triple over 65535");
}

#[test]
fn zlib() {
    let cose = envelope::open(&good()).unwrap();
    let uncompressed = format!("HC1:{}", envelope::base45_encode(&cose));
    assert!(matches!(decode(&uncompressed).unwrap_err(), Error::Zlib(_)));
    let mut trailing = envelope::deflate(&cose);
    trailing.push(0);
    assert!(matches!(decode(&format!("HC1:{}", envelope::base45_encode(&trailing))).unwrap_err(), Error::Zlib(_)));
    let bomb = envelope::deflate(&vec![0; 4 * 1024 * 1024]);
    assert!(matches!(decode(&format!("HC1:{}", envelope::base45_encode(&bomb))).unwrap_err(), Error::Zlib(_)));
}

#[test]
fn cbor_errors() {
    assert!(matches!(decode(&envelope::seal(&[0xff])).unwrap_err(), Error::Cbor(_)));
    assert!(matches!(decode(&envelope::seal(&[0x9f, 0x01])).unwrap_err(), Error::Cbor(_)), "cut short");
    let mut trailing = envelope::open(&good()).unwrap();
    trailing.push(0);
    assert!(matches!(decode(&envelope::seal(&trailing)).unwrap_err(), Error::Cbor(_)));
}

#[test]
fn cose_structure() {
    use ciborium::Value;
    let three = Value::Array(vec![Value::Bytes(vec![]), Value::Map(vec![]), Value::Bytes(vec![])]);
    assert!(matches!(decode(&envelope::seal(&cbor(&three))).unwrap_err(), Error::CoseStructure(_)));
    let wrong_tag = Value::Tag(98, Box::new(Value::Array(vec![])));
    assert!(matches!(decode(&envelope::seal(&cbor(&wrong_tag))).unwrap_err(), Error::CoseStructure(_)));
    let detached = Value::Tag(
        18,
        Box::new(Value::Array(vec![Value::Bytes(vec![0xa0]), Value::Map(vec![]), Value::Null, Value::Bytes(vec![])])),
    );
    assert!(matches!(decode(&envelope::seal(&cbor(&detached))).unwrap_err(), Error::CoseStructure(_)));
}

#[test]
fn cose_sign1_may_come_untagged_or_inside_a_cwt_tag() {
    let tagged = envelope::open(&good()).unwrap();
    let ciborium::Value::Tag(18, inner) = ciborium::de::from_reader::<ciborium::Value, _>(&tagged[..]).unwrap() else {
        panic!("not tag 18")
    };
    let untagged = cbor(&inner);
    assert!(decode(&envelope::seal(&untagged)).is_ok());
    let cwt = cbor(&ciborium::Value::Tag(61, Box::new(ciborium::Value::Tag(18, inner))));
    assert!(decode(&envelope::seal(&cwt)).is_ok());
}

#[test]
fn claims() {
    use ciborium::Value;
    assert!(matches!(decode(&signed(cbor(&Value::Array(vec![])))).unwrap_err(), Error::Claims(_)));
    let no_expiry = Value::Map(vec![(Value::from(6), Value::from(support::ISSUED_AT))]);
    assert!(matches!(decode(&signed(cbor(&no_expiry))).unwrap_err(), Error::Claims(e) if e.contains("expiry")));
    let no_payload = Value::Map(vec![
        (Value::from(4), Value::from(support::EXPIRES_AT)),
        (Value::from(6), Value::from(support::ISSUED_AT)),
    ]);
    assert!(matches!(decode(&signed(cbor(&no_payload))).unwrap_err(), Error::Claims(e) if e.contains("-260")));
    let bad_claims = Claims { issuer: Some("hk".into()), ..support::claims() };
    assert!(matches!(hcert::encode(&support::vaccination(), &bad_claims, &support::es256()), Err(Error::Claims(_))));
    let backwards = Claims { expires_at: support::ISSUED_AT, ..support::claims() };
    assert!(matches!(hcert::encode(&support::vaccination(), &backwards, &support::es256()), Err(Error::Claims(_))));
}

#[test]
fn unknown_kid() {
    let error = hcert::decode(&good(), &TrustList::new(), &ValueSets::unchecked(), support::ISSUED_AT).unwrap_err();
    assert_eq!(error, Error::UnknownKid { kid: support::ES256_KID.to_string() });
    assert_eq!(error.to_string(), "unknown key identifier 0102030405060708");
}

#[test]
fn bad_signature() {
    let mut impostor = TrustList::new();
    let other = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    impostor.add(TrustedKey {
        kid: support::ES256_KID,
        key: hcert::PublicKey::Es256(*other.verifying_key()),
        usage: KeyUsage::ANY,
    });
    let error = hcert::decode(&good(), &impostor, &ValueSets::unchecked(), support::ISSUED_AT).unwrap_err();
    assert_eq!(error, Error::BadSignature);
    // The right key under the kid, but of the other algorithm.
    let mut crossed = TrustList::new();
    crossed.add(TrustedKey { kid: support::ES256_KID, key: support::ps256().public_key(), usage: KeyUsage::ANY });
    assert_eq!(
        hcert::decode(&good(), &crossed, &ValueSets::unchecked(), support::ISSUED_AT).unwrap_err(),
        Error::BadSignature
    );
}

#[test]
fn one_of_several_keys_under_a_kid_may_verify() {
    let mut trust = TrustList::new();
    let other = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    for key in [hcert::PublicKey::Es256(*other.verifying_key()), support::es256().public_key()] {
        trust.add(TrustedKey { kid: support::ES256_KID, key, usage: KeyUsage::ANY });
    }
    assert!(hcert::decode(&good(), &trust, &ValueSets::unchecked(), support::ISSUED_AT).is_ok());
}

#[test]
fn expired_and_not_yet_valid() {
    let at = |now| hcert::decode(&good(), &support::trust_both(), &ValueSets::unchecked(), now);
    assert!(at(support::ISSUED_AT).is_ok());
    assert!(at(support::EXPIRES_AT).is_ok());
    assert_eq!(
        at(support::EXPIRES_AT + 1).unwrap_err(),
        Error::Expired { expires_at: support::EXPIRES_AT, now: support::EXPIRES_AT + 1 }
    );
    assert_eq!(
        at(support::ISSUED_AT - 1).unwrap_err(),
        Error::NotYetValid { issued_at: support::ISSUED_AT, now: support::ISSUED_AT - 1 }
    );
}

#[test]
fn key_usage() {
    let mut tests_only = TrustList::new();
    let signer = support::es256();
    tests_only.add(TrustedKey {
        kid: signer.kid(),
        key: signer.public_key(),
        usage: KeyUsage::only(&[RecordKind::Test]),
    });
    let error = hcert::decode(&good(), &tests_only, &ValueSets::unchecked(), support::ISSUED_AT).unwrap_err();
    assert_eq!(error, Error::KeyUsage(RecordKind::Vaccination));
    assert_eq!(error.to_string(), "key usage: this document signer may not sign vaccination records");
}

#[test]
fn key_usage_comes_from_the_extended_key_usage() {
    let usage = KeyUsage::from_extended_key_usage(&["1.3.6.1.4.1.1847.2021.1.2", "1.3.6.1.5.5.7.3.2"]);
    assert!(usage.allows(RecordKind::Vaccination));
    assert!(
        !usage.allows(RecordKind::Test) && !usage.allows(RecordKind::Recovery) && !usage.allows(RecordKind::Exemption)
    );
    let usage = KeyUsage::from_extended_key_usage(&["1.3.6.1.4.1.0.1847.2021.1.1"]);
    assert!(usage.allows(RecordKind::Test) && !usage.allows(RecordKind::Vaccination));
    for unrestricted in [&[][..], &["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4"][..]] {
        let usage = KeyUsage::from_extended_key_usage(unrestricted);
        assert_eq!(usage, KeyUsage::ANY);
        assert!(usage.allows(RecordKind::Exemption));
    }
    // A near miss of the arc is not the OID.
    assert_eq!(KeyUsage::from_extended_key_usage(&["1.3.6.1.4.1.1847.2021.1.22"]), KeyUsage::ANY);
}

#[test]
fn schema() {
    let mut dcc = support::vaccination();
    if let Some(v) = dcc.v.as_mut() {
        v[0].dn = 0;
    }
    let error = hcert::encode(&dcc, &support::claims(), &support::es256()).unwrap_err();
    let Error::Schema(violations) = &error else { panic!("{error:?}") };
    assert_eq!(violations[0].path, "v[0].dn");
    assert_eq!(error.to_string(), "schema: v[0].dn: must be at least 1");
    // Signed anyway (bypassing encode's check), the verifier refuses it too.
    let payload = serde_json::to_value(&dcc).unwrap();
    let qr = signed(cwt::encode(&support::claims(), &payload).unwrap());
    assert!(matches!(decode(&qr).unwrap_err(), Error::Schema(_)));
    // A payload that is not even the right shape.
    let qr = signed(cwt::encode(&support::claims(), &serde_json::json!({"ver": "1.3.0"})).unwrap());
    assert!(matches!(decode(&qr).unwrap_err(), Error::Schema(v) if v[0].problem.contains("missing field")));
}

#[test]
fn schema_rules_each_name_their_field() {
    let base = support::vaccination();
    type Break = Box<dyn Fn(&mut hcert::Dcc)>;
    let cases: Vec<(&str, Break)> = vec![
        ("ver", Box::new(|d| d.ver = "1.3".into())),
        ("nam", Box::new(|d| d.nam = hcert::Name { r#fn: None, fnt: None, gn: None, gnt: None })),
        ("nam.fnt", Box::new(|d| d.nam.fnt = Some("Chan".into()))),
        ("nam.gnt", Box::new(|d| d.nam.gnt = None)),
        ("nam.fn", Box::new(|d| d.nam.r#fn = Some("x".repeat(81)))),
        ("dob", Box::new(|d| d.dob = "1899-01-01".into())),
        ("dob", Box::new(|d| d.dob = "2022-01-01".into())),
        ("", Box::new(|d| d.t = Some(vec![]))),
        ("v", Box::new(|d| d.v = Some(vec![d.v.as_ref().unwrap()[0].clone(); 2]))),
        ("v[0].dt", Box::new(|d| d.v.as_mut().unwrap()[0].dt = "2021-02-30".into())),
        ("v[0].co", Box::new(|d| d.v.as_mut().unwrap()[0].co = "hk".into())),
        ("v[0].ci", Box::new(|d| d.v.as_mut().unwrap()[0].ci = "é".repeat(81))),
    ];
    for (path, break_it) in cases {
        let mut dcc = base.clone();
        break_it(&mut dcc);
        let error = hcert::schema::validate(&dcc, &ValueSets::unchecked(), Some(support::ISSUED_AT)).unwrap_err();
        let Error::Schema(violations) = &error else { panic!("{error:?}") };
        assert!(violations.iter().any(|v| v.path == path), "{path}: {error}");
    }
    // 80 characters, however many bytes, is within the limit.
    let mut dcc = base.clone();
    dcc.v.as_mut().unwrap()[0].ci = "é".repeat(80);
    assert!(hcert::schema::validate(&dcc, &ValueSets::unchecked(), None).is_ok());
}

#[test]
fn value_sets_are_checked_once_loaded() {
    let qr = good();
    let mut sets = ValueSets::unchecked();
    sets.extend(ValueSet::VaccineMedicinalProduct, ["EU/1/20/1507"]);
    let error = hcert::decode(&qr, &support::trust_both(), &sets, support::ISSUED_AT).unwrap_err();
    assert!(matches!(&error, Error::Schema(v) if v[0].path == "v[0].mp"), "{error}");
    sets.extend(ValueSet::VaccineMedicinalProduct, ["EU/1/20/1528"]);
    assert!(hcert::decode(&qr, &support::trust_both(), &sets, support::ISSUED_AT).is_ok());
    let mut sets = ValueSets::unchecked();
    sets.load(
        ValueSet::Country,
        r#"{"valueSetId": "country-2-codes", "valueSetValues": {"HK": {"display": "Hong Kong"}}}"#,
    )
    .unwrap();
    assert!(hcert::decode(&qr, &support::trust_both(), &sets, support::ISSUED_AT).is_ok());
    assert!(sets.load(ValueSet::TestType, "[]").is_err());
}

#[test]
fn signing() {
    // PS256 with a 32-byte salt needs a key of at least 528 bits.
    let small = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 512).unwrap();
    let signer = hcert::Signer::Ps256 { key: Box::new(small), kid: support::PS256_KID };
    let error = hcert::encode(&support::vaccination(), &support::claims(), &signer).unwrap_err();
    assert!(matches!(error, Error::Signing(_)), "{error:?}");
    assert_eq!(format!("{signer:?}"), "Signer::Ps256(0807060504030201)", "no key material in Debug");
}

#[test]
fn certificates_that_are_not_certificates_are_refused() {
    assert!(matches!(TrustedKey::from_certificate(b"not DER"), Err(hcert::CertificateError::Malformed(_))));
    assert!(matches!(hcert::PublicKey::from_spki_der(&[0x30, 0x00]), Err(hcert::CertificateError::UnsupportedKey)));
}
