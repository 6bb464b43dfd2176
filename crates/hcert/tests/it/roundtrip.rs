//! Property tests: generated payloads of every kind survive encode → decode unchanged, and no input makes decode panic.

use hcert::{Dcc, Exemption, ExemptionReason, Name, Recovery, Test, Vaccination, ValueSets};
use proptest::prelude::*;

use crate::support;

fn name() -> impl Strategy<Value = Name> {
    (
        proptest::option::of("\\PC{1,30}"),
        proptest::option::of("[A-Z<]{1,30}"),
        proptest::option::of("\\PC{0,30}"),
        proptest::option::of("[A-Z<]{1,30}"),
    )
        .prop_filter("a standardised name, and one for each name given", |(fname, fnt, gn, gnt)| {
            let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
            (fnt.is_some() || gnt.is_some()) && (!given(fname) || fnt.is_some()) && (!given(gn) || gnt.is_some())
        })
        .prop_map(|(r#fn, fnt, gn, gnt)| Name { r#fn, fnt, gn, gnt })
}

fn date() -> impl Strategy<Value = String> {
    (1990u32..2021, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn dob() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (1900u32..2021).prop_map(|y| y.to_string()),
        (1900u32..2021, 0u32..=12).prop_map(|(y, m)| format!("{y}-{m:02}")),
        date(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{1,80}"
}

fn vaccination() -> impl Strategy<Value = Vaccination> {
    ("[A-Z0-9/-]{1,20}", "[A-Z0-9/-]{1,20}", "[A-Z0-9-]{1,20}", 1u32..10, 1u32..10, date(), "[A-Z]{2}", text(), text())
        .prop_map(|(vp, mp, ma, dn, sd, dt, co, is, ci)| Vaccination {
            tg: "840539006".into(),
            vp,
            mp,
            ma,
            dn,
            sd,
            dt,
            co,
            is,
            ci,
        })
}

fn test() -> impl Strategy<Value = Test> {
    (
        prop_oneof![Just("LP6464-4"), Just("LP217198-3")],
        proptest::option::of(text()),
        proptest::option::of("[0-9]{4}"),
        (date(), 0u32..24, 0u32..60, prop_oneof![Just("Z"), Just("+08:00"), Just(".5-03:30")]),
        prop_oneof![Just("260415000"), Just("260373001")],
        proptest::option::of(text()),
        "[A-Z]{2}",
        (text(), text()),
    )
        .prop_map(|(tt, nm, ma, (day, h, m, zone), tr, tc, co, (is, ci))| Test {
            tg: "840539006".into(),
            tt: tt.into(),
            nm,
            ma,
            sc: format!("{day}T{h:02}:{m:02}:00{zone}"),
            tr: tr.into(),
            tc,
            co,
            is,
            ci,
        })
}

fn recovery() -> impl Strategy<Value = Recovery> {
    (date(), "[A-Z]{2}", text(), date(), date(), text()).prop_map(|(fr, co, is, df, du, ci)| Recovery {
        tg: "840539006".into(),
        fr,
        co,
        is,
        df,
        du,
        ci,
    })
}

fn exemption() -> impl Strategy<Value = Exemption> {
    (
        prop_oneof![Just(ExemptionReason::Medical), Just(ExemptionReason::ClinicalTrial)],
        date(),
        0i64..400,
        "[A-Z]{2}",
        text(),
        text(),
    )
        .prop_map(|(es, df, days, co, is, ci)| {
            let (y, m, d) = (&df[..4], &df[5..7], &df[8..]);
            let du = format!("{}-{m}-{d}", y.parse::<i64>().unwrap() + days / 365 + 1);
            Exemption { tg: "840539006".into(), es, df, du, co, is, ci }
        })
}

fn payload() -> impl Strategy<Value = Dcc> {
    (name(), dob()).prop_flat_map(|(nam, dob)| {
        prop_oneof![
            vaccination().prop_map({
                let (nam, dob) = (nam.clone(), dob.clone());
                move |v| Dcc::vaccination(nam.clone(), dob.clone(), v)
            }),
            test().prop_map({
                let (nam, dob) = (nam.clone(), dob.clone());
                move |t| Dcc::test(nam.clone(), dob.clone(), t)
            }),
            recovery().prop_map({
                let (nam, dob) = (nam.clone(), dob.clone());
                move |r| Dcc::recovery(nam.clone(), dob.clone(), r)
            }),
            exemption().prop_map(move |e| Dcc::exemption(nam.clone(), dob.clone(), e)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn es256_payloads_decode_to_what_was_encoded(dcc in payload(), at in 0i64..86_400) {
        let claims = support::claims();
        let qr = hcert::encode(&dcc, &claims, &support::es256()).unwrap();
        let back = hcert::decode(&qr, &support::trust_both(), &ValueSets::unchecked(), claims.issued_at + at).unwrap();
        prop_assert_eq!(&back.dcc, &dcc);
        prop_assert_eq!(back.claims, claims);
        prop_assert_eq!(back.kid, support::ES256_KID);
        prop_assert_eq!(back.payload_json, serde_json::to_value(&dcc).unwrap());
    }

    #[test]
    fn decode_never_panics_on_text(text in "\\PC{0,300}") {
        let _ = hcert::decode(&text, &support::trust_both(), &ValueSets::unchecked(), 0);
        let _ = hcert::decode(&format!("HC1:{text}"), &support::trust_both(), &ValueSets::unchecked(), 0);
    }

    #[test]
    fn decode_never_panics_on_damaged_codes(dcc in payload(), at in 0usize..4096, with in "[0-9A-Z $%*+./:-]") {
        let qr = hcert::encode(&dcc, &support::claims(), &support::es256()).unwrap();
        let mut damaged: Vec<char> = qr.chars().collect();
        let at = 4 + at % (damaged.len() - 4);
        damaged[at] = with.chars().next().unwrap();
        let damaged: String = damaged.into_iter().collect();
        let result = hcert::decode(&damaged, &support::trust_both(), &ValueSets::unchecked(), support::ISSUED_AT);
        if damaged != qr {
            prop_assert!(result.is_err() || result.as_ref().is_ok_and(|c| c.dcc == dcc));
        }
    }
}

proptest! {
    // RSA signing is slower; fewer cases.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn ps256_payloads_decode_to_what_was_encoded(dcc in payload()) {
        let claims = support::claims();
        let qr = hcert::encode(&dcc, &claims, &support::ps256()).unwrap();
        let back = hcert::decode(&qr, &support::trust_both(), &ValueSets::unchecked(), claims.issued_at).unwrap();
        prop_assert_eq!(&back.dcc, &dcc);
        prop_assert_eq!(back.kid, support::PS256_KID);
    }
}
