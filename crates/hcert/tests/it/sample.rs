//! The sample record the tests and the benchmark share: a second-dose
//! vaccination in Hong Kong (the benchmark includes this file by path).

use hcert::{Dcc, Name, Vaccination};

pub(crate) fn name() -> Name {
    Name {
        r#fn: Some("Chan".into()),
        fnt: Some("CHAN".into()),
        gn: Some("Tai Man".into()),
        gnt: Some("TAI<MAN".into()),
    }
}

pub(crate) fn vaccination() -> Dcc {
    Dcc::vaccination(
        name(),
        "1980-02-29",
        Vaccination {
            tg: "840539006".into(),
            vp: "1119349007".into(),
            mp: "EU/1/20/1528".into(),
            ma: "ORG-100030215".into(),
            dn: 2,
            sd: 2,
            dt: "2021-05-18".into(),
            co: "HK".into(),
            is: "Department of Health".into(),
            ci: "URN:UVCI:01:HK:ABC123#X".into(),
        },
    )
}
