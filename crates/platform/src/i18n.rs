//! Languages (English, 繁體中文, 简体中文), their negotiation, and the Fluent
//! catalogue every page and message takes its text from.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use serde::{Deserialize, Serialize};
use unic_langid::LanguageIdentifier;

/// A language lionrock speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    En,
    ZhHk,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::ZhHk, Lang::ZhCn];

    /// BCP 47 tag, as used in `lang` attributes and `.ftl` folders.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHk => "zh-HK",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// URL prefix segment, e.g. `zh-hk` in `/zh-hk/…`.
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHk => "zh-hk",
            Lang::ZhCn => "zh-cn",
        }
    }

    /// The language's own name, for the switcher.
    pub fn autonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::ZhHk => "繁體中文",
            Lang::ZhCn => "简体中文",
        }
    }

    /// Parses a tag or prefix (`en`, `zh-HK`, `zh-hk`, `zh_HK`, `zh-Hant`, …).
    pub fn parse(s: &str) -> Option<Lang> {
        let tag: LanguageIdentifier = s.trim().parse().ok()?;
        best_match(&[tag])
    }

    /// Picks the best language from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        // fluent-langneg goes by the order of the tags and ignores their
        // weights, so order them by weight first (ties keep the client's
        // order); `q=0` means "not this one".
        let mut weighted: Vec<(f32, LanguageIdentifier)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim().parse().ok()?;
                let q = pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse().ok()).unwrap_or(1.0);
                (q > 0.0).then_some((q, tag))
            })
            .collect();
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0));
        let requested: Vec<LanguageIdentifier> = weighted.into_iter().map(|(_, tag)| tag).collect();
        best_match(&requested)
    }
}

/// What the tags a client may send stand for, most specific first: a script
/// outweighs a region (`zh-Hant-CN` is Traditional), and a bare `zh` most
/// often means Simplified.
const TAGS: [(&str, Lang); 9] = [
    ("zh-Hant", Lang::ZhHk),
    ("zh-Hans", Lang::ZhCn),
    ("zh-HK", Lang::ZhHk),
    ("zh-TW", Lang::ZhHk),
    ("zh-MO", Lang::ZhHk),
    ("zh-CN", Lang::ZhCn),
    ("zh-SG", Lang::ZhCn),
    ("zh", Lang::ZhCn),
    ("en", Lang::En),
];

/// A tag from `TAGS`, parsed, with the language it stands for.
#[derive(PartialEq)]
struct Known {
    tag: LanguageIdentifier,
    lang: Lang,
}

impl AsRef<LanguageIdentifier> for Known {
    fn as_ref(&self) -> &LanguageIdentifier {
        &self.tag
    }
}

static KNOWN: LazyLock<Vec<Known>> =
    LazyLock::new(|| TAGS.iter().filter_map(|&(tag, lang)| Some(Known { tag: tag.parse().ok()?, lang })).collect());

/// The language of the first requested tag that matches a known one, the
/// known tags taken as ranges (`en` matches `en-GB`, `zh-Hant` matches `zh-Hant-TW`).
fn best_match(requested: &[LanguageIdentifier]) -> Option<Lang> {
    negotiate_languages(requested, &KNOWN, None, NegotiationStrategy::Lookup).first().map(|k| k.lang)
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.tag())
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "en" | "zh-HK" | "zh-CN" => Lang::parse(&s),
            _ => None,
        }
        .ok_or_else(|| {
            serde::de::Error::custom(format!("unknown language {s:?}, expected one of \"en\", \"zh-HK\", \"zh-CN\""))
        })
    }
}

/// Fluent source text of one module in one language.
#[derive(Debug, Clone, Copy)]
pub struct Ftl {
    pub lang: Lang,
    /// Where it came from, for error messages (`platform/en`).
    pub origin: &'static str,
    pub source: &'static str,
}

/// The message catalogue: one Fluent bundle per language.
pub struct Catalog {
    bundles: BTreeMap<Lang, FluentBundle<FluentResource>>,
    keys: BTreeMap<Lang, BTreeSet<String>>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog").field("keys", &self.keys.values().map(BTreeSet::len).collect::<Vec<_>>()).finish()
    }
}

/// Why the catalogue could not be built.
#[derive(Debug, thiserror::Error)]
#[error("translations {origin}: {reason}")]
pub struct CatalogError {
    pub origin: String,
    pub reason: String,
}

impl Catalog {
    pub fn new(sources: &[Ftl]) -> Result<Self, CatalogError> {
        let mut bundles = BTreeMap::new();
        let mut keys: BTreeMap<Lang, BTreeSet<String>> = BTreeMap::new();
        for lang in Lang::ALL {
            let langid = lang
                .tag()
                .parse()
                .map_err(|_| CatalogError { origin: lang.tag().to_owned(), reason: "bad language tag".to_owned() })?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Isolation marks only matter for right-to-left text; they would
            // otherwise show up inside attributes and e-mail subjects.
            bundle.set_use_isolating(false);
            bundles.insert(lang, bundle);
            keys.insert(lang, BTreeSet::new());
        }
        for ftl in sources {
            let err = |reason: String| CatalogError { origin: ftl.origin.to_owned(), reason };
            let resource = FluentResource::try_new(ftl.source.to_owned())
                .map_err(|(_, errors)| err(format!("syntax errors: {errors:?}")))?;
            let ids: Vec<String> = resource
                .entries()
                .filter_map(|e| match e {
                    fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                    _ => None,
                })
                .collect();
            let bundle = bundles.get_mut(&ftl.lang).ok_or_else(|| err("no bundle".to_owned()))?;
            bundle.add_resource(resource).map_err(|errors| err(format!("duplicate messages: {errors:?}")))?;
            keys.entry(ftl.lang).or_default().extend(ids);
        }
        Ok(Self { bundles, keys })
    }

    /// The text of `key` in `lang`; the key itself if it is missing (tests forbid that).
    pub fn text(&self, lang: Lang, key: &str) -> String {
        self.format(lang, key, None)
    }

    /// The text of `key` in `lang` with `{ $name }` arguments filled in.
    pub fn text_with(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, FluentValue::from(*v));
        }
        self.format(lang, key, Some(&fargs))
    }

    fn format(&self, lang: Lang, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(bundle) = self.bundles.get(&lang) else {
            return key.to_owned();
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(%lang, key, "missing translation");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(%lang, key, ?errors, "translation formatting error");
        }
        text.into_owned()
    }

    /// Every `(language, key)` that some other language has and this one lacks.
    pub fn missing_keys(&self) -> Vec<(Lang, String)> {
        let all: BTreeSet<&String> = self.keys.values().flatten().collect();
        let mut missing = Vec::new();
        for (lang, keys) in &self.keys {
            for key in &all {
                if !keys.contains(*key) {
                    missing.push((*lang, (*key).clone()));
                }
            }
        }
        missing
    }

    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.keys.get(&lang).is_some_and(|k| k.contains(key))
    }
}

/// The platform's own translations.
pub const PLATFORM_FTL: [Ftl; 3] = [
    Ftl { lang: Lang::En, origin: "platform/en", source: include_str!("../i18n/en/platform.ftl") },
    Ftl { lang: Lang::ZhHk, origin: "platform/zh-HK", source: include_str!("../i18n/zh-HK/platform.ftl") },
    Ftl { lang: Lang::ZhCn, origin: "platform/zh-CN", source: include_str!("../i18n/zh-CN/platform.ftl") },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_respects_quality() {
        assert_eq!(Lang::from_accept_language("en;q=0.5, zh-HK;q=0.9"), Some(Lang::ZhHk));
        assert_eq!(Lang::from_accept_language("zh-Hans-CN,zh;q=0.9"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_accept_language("zh-TW"), Some(Lang::ZhHk));
        assert_eq!(Lang::from_accept_language("fr-FR, de"), None);
        assert_eq!(Lang::from_accept_language("en;q=0, zh-CN;q=0.1"), Some(Lang::ZhCn));
        // Weights out of order, an unknown first choice, a wildcard.
        assert_eq!(Lang::from_accept_language("fr;q=0.9, en;q=0.7, zh-Hant-TW;q=0.8"), Some(Lang::ZhHk));
        assert_eq!(Lang::from_accept_language("*;q=0.5, zh-HK;q=0.1"), Some(Lang::ZhHk));
        // Equal weights keep the client's order; an unreadable weight counts as 1.
        assert_eq!(Lang::from_accept_language("zh-CN;q=0.5, en;q=0.5"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_accept_language("zh-HK;q=0.9, en;q=high"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("en-GB, zh-HK"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language(""), None);
    }

    #[test]
    fn tags_and_prefixes_map_to_our_languages() {
        for (input, lang) in [
            ("en", Some(Lang::En)),
            ("EN-us", Some(Lang::En)),
            ("en-GB-oxendict", Some(Lang::En)),
            ("zh-HK", Some(Lang::ZhHk)),
            ("zh-hk", Some(Lang::ZhHk)),
            ("zh_HK", Some(Lang::ZhHk)),
            ("zh-TW", Some(Lang::ZhHk)),
            ("zh-MO", Some(Lang::ZhHk)),
            ("zh-Hant", Some(Lang::ZhHk)),
            ("zh-Hant-TW", Some(Lang::ZhHk)),
            ("zh-Hant-CN", Some(Lang::ZhHk)),
            ("zh-CN", Some(Lang::ZhCn)),
            ("zh-cn", Some(Lang::ZhCn)),
            ("zh-SG", Some(Lang::ZhCn)),
            ("zh-Hans", Some(Lang::ZhCn)),
            ("zh-Hans-HK", Some(Lang::ZhCn)),
            ("zh", Some(Lang::ZhCn)),
            ("zh-MY", Some(Lang::ZhCn)),
            (" en ", Some(Lang::En)),
            ("fr", None),
            ("de-AT", None),
            ("", None),
            ("not a tag", None),
        ] {
            assert_eq!(Lang::parse(input), lang, "{input:?}");
        }
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.tag()), Some(lang));
            assert_eq!(Lang::parse(lang.prefix()), Some(lang));
        }
    }

    #[test]
    fn platform_catalogue_has_every_key_in_every_language() {
        let catalog = Catalog::new(&PLATFORM_FTL).unwrap();
        assert_eq!(catalog.missing_keys(), Vec::<(Lang, String)>::new());
        assert!(catalog.has(Lang::ZhHk, "site-name"));
    }

    #[test]
    fn a_missing_key_is_detected() {
        let sources = [
            Ftl { lang: Lang::En, origin: "t/en", source: "a = A\nb = B\n" },
            Ftl { lang: Lang::ZhHk, origin: "t/zh-HK", source: "a = 甲\n" },
            Ftl { lang: Lang::ZhCn, origin: "t/zh-CN", source: "a = 甲\nb = 乙\n" },
        ];
        let catalog = Catalog::new(&sources).unwrap();
        assert_eq!(catalog.missing_keys(), vec![(Lang::ZhHk, "b".to_owned())]);
    }

    #[test]
    fn arguments_are_filled_in() {
        let sources = [Ftl { lang: Lang::En, origin: "t/en", source: "hi = Hello, { $name }!\n" }];
        let catalog = Catalog::new(&sources).unwrap();
        assert_eq!(catalog.text_with(Lang::En, "hi", &[("name", "Mei")]), "Hello, Mei!");
    }
}
