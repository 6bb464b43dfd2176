//! Our exemption extension (`e` under claim -260/1): its wire shape, its rules, and who may sign it.

use hcert::{Dcc, Error, Exemption, ExemptionReason, KeyUsage, RecordKind, TrustList, TrustedKey, ValueSets};

use crate::support;

fn exemption() -> Dcc {
    Dcc::exemption(
        support::name(),
        "1980-02-29",
        Exemption {
            tg: "840539006".into(),
            es: ExemptionReason::Medical,
            df: "2021-06-01".into(),
            du: "2021-12-31".into(),
            co: "HK".into(),
            is: "Department of Health".into(),
            ci: "URN:UVCI:01:HK:EXEMPT1#Y".into(),
        },
    )
}

#[test]
fn the_wire_shape_is_as_documented() {
    let json = serde_json::to_value(exemption()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "ver": "1.3.0",
            "nam": {"fn": "Chan", "fnt": "CHAN", "gn": "Tai Man", "gnt": "TAI<MAN"},
            "dob": "1980-02-29",
            "e": [{
                "tg": "840539006", "es": "medical", "df": "2021-06-01", "du": "2021-12-31",
                "co": "HK", "is": "Department of Health", "ci": "URN:UVCI:01:HK:EXEMPT1#Y"
            }]
        })
    );
    let trial: ExemptionReason = serde_json::from_value(serde_json::json!("trial")).unwrap();
    assert_eq!(trial, ExemptionReason::ClinicalTrial);
    assert!(serde_json::from_value::<ExemptionReason>(serde_json::json!("religious")).is_err());
}

#[test]
fn an_exemption_round_trips() {
    let qr = hcert::encode(&exemption(), &support::claims(), &support::es256()).unwrap();
    let back = hcert::decode(&qr, &support::trust_both(), &ValueSets::unchecked(), support::ISSUED_AT).unwrap();
    assert_eq!(back.dcc, exemption());
    assert_eq!(back.dcc.kind(), Some(RecordKind::Exemption));
}

#[test]
fn only_an_unrestricted_signer_may_sign_exemptions() {
    let qr = hcert::encode(&exemption(), &support::claims(), &support::es256()).unwrap();
    let signer = support::es256();
    let mut restricted = TrustList::new();
    restricted.add(TrustedKey {
        kid: signer.kid(),
        key: signer.public_key(),
        usage: KeyUsage::only(&[RecordKind::Vaccination, RecordKind::Test, RecordKind::Recovery]),
    });
    let error = hcert::decode(&qr, &restricted, &ValueSets::unchecked(), support::ISSUED_AT).unwrap_err();
    assert_eq!(error, Error::KeyUsage(RecordKind::Exemption));
}

#[test]
fn the_period_must_not_end_before_it_starts() {
    let mut dcc = exemption();
    dcc.e.as_mut().unwrap()[0].du = "2021-05-31".into();
    let error = hcert::encode(&dcc, &support::claims(), &support::es256()).unwrap_err();
    assert!(matches!(&error, Error::Schema(v) if v[0].path == "e[0].du"), "{error}");
}

#[test]
fn an_exemption_cannot_ride_along_with_a_vaccination() {
    let mut dcc = exemption();
    dcc.v = support::vaccination().v;
    let error = hcert::encode(&dcc, &support::claims(), &support::es256()).unwrap_err();
    assert!(matches!(&error, Error::Schema(v) if v[0].problem.contains("exactly one")), "{error}");
}
