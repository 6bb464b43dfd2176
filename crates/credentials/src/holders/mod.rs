//! Residents' own records ("My records", `/{lang}/credentials`): what the
//! page and the downloads say about a record, as Fluent keys with their
//! arguments, so that one summary reads in each of the three languages (the
//! page in its own, the PDF in all three). Rules only: the handlers are in
//! `http`, the records come from `records::store`.

pub mod http;

use hcert::{Dcc, ExemptionReason};
use platform::i18n::Lang;
use time::OffsetDateTime;

use crate::errors::CredentialsError;
use crate::records::store::Record;
use crate::records::{Kind, PRODUCTS, TEST_RESULTS, TEST_TYPES};
use crate::render::{PdfLine, PdfPage, Style};

/// The page's path under each language prefix.
pub const PATH: &str = "/credentials";

/// The PNG download's scale: pixels a module (a version-10 code is 456 px).
pub const PNG_SCALE: u32 = 8;

/// An argument of a text: literal, or itself a message (a product's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Literal(String),
    Message(&'static str),
}

/// Translates a Fluent key with its arguments into a language (the catalogue's `text_with`).
pub type Translate<'a> = &'a dyn Fn(Lang, &str, &[(&str, &str)]) -> String;

/// One translatable text: a Fluent key and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

impl Text {
    fn new(key: &'static str) -> Text {
        Text { key, args: Vec::new() }
    }

    fn with(key: &'static str, args: &[(&'static str, &str)]) -> Text {
        Text { key, args: args.iter().map(|(k, v)| (*k, Arg::Literal((*v).to_owned()))).collect() }
    }

    fn arg(mut self, name: &'static str, value: Arg) -> Text {
        self.args.push((name, value));
        self
    }

    /// The text in `lang`, through `translate(lang, key, args)`.
    pub fn say(&self, lang: Lang, translate: Translate<'_>) -> String {
        let values: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(name, arg)| match arg {
                Arg::Literal(s) => (*name, s.clone()),
                Arg::Message(key) => (*name, translate(lang, key, &[])),
            })
            .collect();
        let args: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        translate(lang, self.key, &args)
    }
}

/// The title of a record of `kind` ("COVID-19 vaccination record").
pub fn kind_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Vaccination => "credentials-mine-kind-vaccination",
        Kind::Test => "credentials-mine-kind-test",
        Kind::Recovery => "credentials-mine-kind-recovery",
        Kind::Exemption => "credentials-mine-kind-exemption",
    }
}

/// The holder's name as on their document: family name, then given names.
pub fn holder_name(dcc: &Dcc) -> String {
    let parts = [dcc.nam.r#fn.as_deref(), dcc.nam.gn.as_deref()];
    let parts: Vec<&str> = parts.into_iter().flatten().map(str::trim).filter(|s| !s.is_empty()).collect();
    if parts.is_empty() {
        // Only the standardised form was given.
        return [dcc.nam.fnt.as_deref(), dcc.nam.gnt.as_deref()]
            .into_iter()
            .flatten()
            .map(|s| s.replace('<', " "))
            .collect::<Vec<_>>()
            .join(" ");
    }
    parts.join(" ")
}

fn product(code: &str) -> Arg {
    match PRODUCTS.iter().position(|p| p.code == code) {
        Some(0) => Arg::Message("credentials-product-comirnaty"),
        Some(1) => Arg::Message("credentials-product-spikevax"),
        Some(2) => Arg::Message("credentials-product-coronavac"),
        _ => Arg::Literal(code.to_owned()),
    }
}

fn coded(code: &str, codes: &[&str], keys: &[&'static str]) -> Arg {
    match codes.iter().position(|c| *c == code).and_then(|i| keys.get(i)) {
        Some(key) => Arg::Message(key),
        None => Arg::Literal(code.to_owned()),
    }
}

/// What a record says, line by line (without the holder, whom the page
/// names once): the entry, its validity, issuer, identifier and expiry.
/// `local` shows a time in the locale's time zone.
pub fn summary(record: &Record, local: &dyn Fn(OffsetDateTime) -> String) -> Vec<Text> {
    let mut lines = Vec::new();
    let dcc = &record.dcc;
    let mut issuer = String::new();
    for v in dcc.v.iter().flatten() {
        lines.push(
            Text::with(
                "credentials-mine-vaccination",
                &[("dose", &v.dn.to_string()), ("doses", &v.sd.to_string()), ("date", &v.dt)],
            )
            .arg("product", product(&v.mp)),
        );
        issuer.clone_from(&v.is);
    }
    for t in dcc.t.iter().flatten() {
        lines.push(
            Text::new("credentials-mine-test")
                .arg("type", coded(&t.tt, &TEST_TYPES, &["credentials-test-type-naat", "credentials-test-type-rat"]))
                .arg(
                    "result",
                    coded(
                        &t.tr,
                        &TEST_RESULTS,
                        &["credentials-test-result-not-detected", "credentials-test-result-detected"],
                    ),
                ),
        );
        let sampled = OffsetDateTime::parse(&t.sc, &time::format_description::well_known::Rfc3339)
            .map(local)
            .unwrap_or_else(|_| t.sc.clone());
        let centre = t.tc.clone().unwrap_or_default();
        lines.push(Text::with("credentials-mine-test-sampled", &[("time", &sampled), ("centre", &centre)]));
        issuer.clone_from(&t.is);
    }
    for r in dcc.r.iter().flatten() {
        lines.push(Text::with("credentials-mine-recovery", &[("date", &r.fr)]));
        lines.push(Text::with("credentials-mine-valid-between", &[("from", &r.df), ("until", &r.du)]));
        issuer.clone_from(&r.is);
    }
    for e in dcc.e.iter().flatten() {
        lines.push(Text::new(match e.es {
            ExemptionReason::Medical => "credentials-mine-exemption-medical",
            ExemptionReason::ClinicalTrial => "credentials-mine-exemption-trial",
        }));
        lines.push(Text::with("credentials-mine-valid-between", &[("from", &e.df), ("until", &e.du)]));
        issuer.clone_from(&e.is);
    }
    lines.push(Text::with("credentials-mine-issuer", &[("issuer", &issuer), ("date", &issued_on(record, local))]));
    lines.push(Text::with("credentials-mine-uvci", &[("uvci", &record.uvci)]));
    lines.push(Text::with("credentials-mine-valid-until", &[("time", &local(record.expires_at))]));
    lines
}

/// The date a record was issued, in the locale's time zone (`YYYY-MM-DD`).
pub fn issued_on(record: &Record, local: &dyn Fn(OffsetDateTime) -> String) -> String {
    local(record.issued_at).split(' ').next().unwrap_or_default().to_owned()
}

/// Whether a record's QR code still passes checks, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Valid,
    /// Re-issued: its replacement stands for it.
    Replaced,
    /// An officer revoked it.
    Revoked,
    /// Its credential's expiry has passed.
    Expired,
}

impl Standing {
    /// The standing of `record` at `now`.
    pub fn of(record: &Record, now: OffsetDateTime) -> Standing {
        if record.replaced_by.is_some() {
            Standing::Replaced
        } else if record.revoked {
            Standing::Revoked
        } else if record.expires_at <= now {
            Standing::Expired
        } else {
            Standing::Valid
        }
    }

    /// Why a record not valid is neither downloaded nor re-issued.
    pub fn refusal(self) -> Option<CredentialsError> {
        match self {
            Standing::Valid => None,
            Standing::Replaced | Standing::Revoked => Some(CredentialsError::Revoked),
            Standing::Expired => Some(CredentialsError::Expired),
        }
    }
}

/// The record's status line at `now`, when its QR code no longer passes checks.
pub fn status(record: &Record, now: OffsetDateTime) -> Option<Text> {
    match Standing::of(record, now) {
        Standing::Valid => None,
        Standing::Replaced => Some(Text::new("credentials-mine-replaced")),
        Standing::Revoked => Some(Text::new("credentials-mine-revoked")),
        Standing::Expired => Some(Text::new("credentials-mine-expired")),
    }
}

/// The record's PDF: its title in the three languages above the QR code;
/// below it, for each language, the holder's name and birth date and the
/// summary. `lang` is the document's main language (its metadata title).
/// Only a valid record is downloaded, so the page has no status line.
pub fn pdf_page(
    record: &Record,
    lang: Lang,
    translate: Translate<'_>,
    local: &dyn Fn(OffsetDateTime) -> String,
) -> PdfPage {
    let name = holder_name(&record.dcc);
    let kind = Text::new(kind_key(record.kind));
    let title = Text::new("credentials-mine-pdf-title")
        .arg("kind", Arg::Message(kind_key(record.kind)))
        .arg("name", Arg::Literal(name.clone()));
    let lines = summary(record, local);
    let mut body = Vec::new();
    for l in Lang::ALL {
        body.push(PdfLine::new(
            l,
            Style::Heading,
            Text::with("credentials-mine-name", &[("name", &name)]).say(l, translate),
        ));
        body.push(PdfLine::new(
            l,
            Style::Text,
            Text::with("credentials-mine-birth-date", &[("date", &record.dcc.dob)]).say(l, translate),
        ));
        for line in &lines {
            body.push(PdfLine::new(l, Style::Text, line.say(l, translate)));
        }
    }
    PdfPage {
        title: title.say(lang, translate),
        lang,
        qr: record.hc1.clone(),
        header: Lang::ALL.into_iter().map(|l| PdfLine::new(l, Style::Title, kind.say(l, translate))).collect(),
        body,
    }
}

/// The download's file name: `<kind>-<issue date>.<extension>`, ASCII only.
pub fn file_name(record: &Record, local: &dyn Fn(OffsetDateTime) -> String, extension: &str) -> String {
    format!("{}-record-{}.{extension}", record.kind.as_str(), issued_on(record, local))
}

/// A download's path segment (`<id>.pdf` or `<id>.png`): the record's ID and which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    Pdf,
    Png,
}

/// Splits `<id>.pdf` / `<id>.png`; `None` for anything else.
pub fn download(segment: &str) -> Option<(&str, Download)> {
    let (id, extension) = segment.rsplit_once('.')?;
    let which = match extension {
        "pdf" => Download::Pdf,
        "png" => Download::Png,
        _ => return None,
    };
    (!id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')).then_some((id, which))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_named_by_id_and_extension() {
        let id = "0192f0c4-7e1b-7c3a-9d2e-1234567890ab";
        assert_eq!(download(&format!("{id}.pdf")), Some((id, Download::Pdf)));
        assert_eq!(download(&format!("{id}.png")), Some((id, Download::Png)));
        assert_eq!(download(&format!("{id}.svg")), None);
        assert_eq!(download(".pdf"), None);
        assert_eq!(download("../x.pdf"), None);
        assert_eq!(download("scan"), None);
    }

    #[test]
    fn message_arguments_are_translated_in_the_texts_language() {
        let text = Text::new("outer").arg("product", Arg::Message("inner")).arg("n", Arg::Literal("2".into()));
        let translate = |lang: Lang, key: &str, args: &[(&str, &str)]| {
            let args: Vec<String> = args.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{}:{key}({})", lang.prefix(), args.join(","))
        };
        assert_eq!(text.say(Lang::ZhHk, &translate), "zh-hk:outer(product=zh-hk:inner(),n=2)");
    }
}
