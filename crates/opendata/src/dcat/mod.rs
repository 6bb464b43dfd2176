//! The catalogue as linked data, without I/O: DCAT-AP (a small RDF graph
//! per page of datasets, written as Turtle or as JSON-LD with its
//! `@context`, hydra paging links) and DCAT-US 1.1 (`data.json`, Project
//! Open Data's schema, English texts with the languages listed). Only
//! published public datasets are ever given to these functions (`store`).

pub mod http;
pub mod store;

use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::catalogue::{Dataset, Resource, Texts};

/// Datasets on one page of `/catalog.ttl` and `/catalog.jsonld`.
pub const PAGE_SIZE: u64 = 1000;

/// The prefixes every document declares, in Turtle and in the JSON-LD `@context`.
pub const PREFIXES: [(&str, &str); 11] = [
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("spdx", "http://spdx.org/rdf/terms#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("hydra", "http://www.w3.org/ns/hydra/core#"),
    ("adms", "http://www.w3.org/ns/adms#"),
    ("locn", "http://www.w3.org/ns/locn#"),
];

/// Our three languages as BCP 47 tags that name the script, which is what
/// differs between them (RDF readers match `zh-Hant`, not a region).
pub const LANGUAGE_TAGS: [&str; 3] = ["en", "zh-Hant", "zh-Hans"];

const EU_FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
const EU_FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const EU_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme/";
const EU_LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language/";
const IANA_MEDIA: &str = "https://www.iana.org/assignments/media-types/";

/// An RDF term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Iri(String),
    Blank(String),
    Literal(String, Kind),
}

/// What a literal is: a plain string, a string in a language, or typed
/// (the datatype a prefixed name, `xsd:dateTime`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Plain,
    Lang(&'static str),
    Typed(&'static str),
}

/// Triples in the order they were added; subjects stay together.
#[derive(Debug, Default)]
pub struct Graph {
    triples: Vec<(Term, &'static str, Term)>,
    blanks: usize,
}

fn iri(s: impl Into<String>) -> Term {
    Term::Iri(s.into())
}

fn plain(s: impl Into<String>) -> Term {
    Term::Literal(s.into(), Kind::Plain)
}

fn typed(s: impl Into<String>, datatype: &'static str) -> Term {
    Term::Literal(s.into(), Kind::Typed(datatype))
}

/// A prefixed name (`dcat:Dataset`) as a full IRI.
pub fn expand(name: &str) -> String {
    let (prefix, local) = name.split_once(':').unwrap_or(("", name));
    match PREFIXES.iter().find(|(p, _)| *p == prefix) {
        Some((_, ns)) => format!("{ns}{local}"),
        None => name.to_owned(),
    }
}

impl Graph {
    fn add(&mut self, s: &Term, p: &'static str, o: Term) {
        self.triples.push((s.clone(), p, o));
    }

    fn blank(&mut self) -> Term {
        self.blanks += 1;
        Term::Blank(format!("b{}", self.blanks))
    }

    fn class(&mut self, s: &Term, class: &str) {
        self.add(s, "rdf:type", iri(expand(class)));
    }

    /// A text in each language it is written in.
    fn texts(&mut self, s: &Term, p: &'static str, texts: &Texts) {
        for (text, tag) in [&texts.en, &texts.zh_hk, &texts.zh_cn].into_iter().zip(LANGUAGE_TAGS) {
            if !text.is_empty() {
                self.add(s, p, Term::Literal(text.clone(), Kind::Lang(tag)));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.triples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.triples.is_empty()
    }

    /// The graph as Turtle (UTF-8; every IRI in full, predicates prefixed).
    pub fn turtle(&self) -> String {
        let mut out = String::new();
        for (prefix, ns) in PREFIXES {
            let _ = writeln!(out, "@prefix {prefix}: <{ns}> .");
        }
        let mut last: Option<&Term> = None;
        for (s, p, o) in &self.triples {
            if last == Some(s) {
                out.push_str(" ;\n    ");
            } else {
                if last.is_some() {
                    out.push_str(" .\n");
                }
                out.push('\n');
                out.push_str(&turtle_term(s));
                out.push_str("\n    ");
            }
            out.push_str(if *p == "rdf:type" { "a" } else { p });
            out.push(' ');
            out.push_str(&turtle_term(o));
            last = Some(s);
        }
        if last.is_some() {
            out.push_str(" .\n");
        }
        out
    }

    /// The graph as flattened JSON-LD: an `@context` of the prefixes and
    /// an `@graph` of one node object per subject.
    pub fn json_ld(&self) -> Value {
        let context: Map<String, Value> = PREFIXES.iter().map(|(p, ns)| ((*p).to_owned(), json!(ns))).collect();
        let mut nodes: Vec<Map<String, Value>> = Vec::new();
        let mut last: Option<&Term> = None;
        for (s, p, o) in &self.triples {
            if last != Some(s) {
                let mut node = Map::new();
                node.insert("@id".to_owned(), json!(node_id(s)));
                nodes.push(node);
                last = Some(s);
            }
            let Some(node) = nodes.last_mut() else { continue };
            let (key, value) = if *p == "rdf:type" {
                ("@type".to_owned(), json!(node_id(o)))
            } else {
                ((*p).to_owned(), json_value(o))
            };
            match node.get_mut(&key) {
                Some(Value::Array(values)) => values.push(value),
                _ => {
                    node.insert(key, Value::Array(vec![value]));
                }
            }
        }
        json!({"@context": context, "@graph": nodes})
    }
}

fn node_id(t: &Term) -> String {
    match t {
        Term::Iri(s) => s.clone(),
        Term::Blank(b) => format!("_:{b}"),
        Term::Literal(s, _) => s.clone(),
    }
}

fn json_value(t: &Term) -> Value {
    match t {
        Term::Iri(_) | Term::Blank(_) => json!({"@id": node_id(t)}),
        Term::Literal(s, Kind::Plain) => json!({"@value": s}),
        Term::Literal(s, Kind::Lang(tag)) => json!({"@value": s, "@language": tag}),
        Term::Literal(s, Kind::Typed(datatype)) => json!({"@value": s, "@type": datatype}),
    }
}

fn turtle_term(t: &Term) -> String {
    match t {
        Term::Iri(s) => format!("<{}>", turtle_iri(s)),
        Term::Blank(b) => format!("_:{b}"),
        Term::Literal(s, Kind::Plain) => turtle_string(s),
        Term::Literal(s, Kind::Lang(tag)) => format!("{}@{tag}", turtle_string(s)),
        Term::Literal(s, Kind::Typed(datatype)) => format!("{}^^{datatype}", turtle_string(s)),
    }
}

/// A Turtle string literal: quotes, backslashes and control characters
/// escaped; every other character (Chinese too) as it is, in UTF-8.
pub fn turtle_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An IRI's text for `<…>`: the characters Turtle forbids there (spaces,
/// controls, `<>"{}|^`\`) percent-encoded.
pub fn turtle_iri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c <= ' ' || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\') {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An `xsd:dateTime` lexical form (UTC).
pub fn date_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_default()
}

/// The EU frequency vocabulary's term for one of our update frequencies.
pub fn eu_frequency(frequency: &str) -> Option<&'static str> {
    Some(match frequency {
        "real-time" => "CONT",
        "hourly" => "HOURLY",
        "daily" => "DAILY",
        "weekly" => "WEEKLY",
        "monthly" => "MONTHLY",
        "quarterly" => "QUARTERLY",
        "yearly" => "ANNUAL",
        "irregular" => "IRREG",
        "not-updated" => "NEVER",
        _ => return None,
    })
}

/// The EU data theme (DCAT-AP's vocabulary for `dcat:theme`) nearest to
/// one of our 19 categories; none for "miscellaneous".
pub fn eu_theme(category: &str) -> Option<&'static str> {
    Some(match category {
        "city-management-and-utilities" => "GOVE",
        "climate-and-weather" | "environment" => "ENVI",
        "commerce-and-industry" | "employment-and-labour" | "finance" => "ECON",
        "covid-19" | "health" => "HEAL",
        "development" => "REGI",
        "education" | "recreation-and-culture" => "EDUC",
        "food" => "AGRI",
        "housing" | "population" | "social-welfare" => "SOCI",
        "information-technology-and-broadcasting" => "TECH",
        "law-and-security" => "JUST",
        "transport" => "TRAN",
        _ => return None,
    })
}

/// DCAT-US's ISO 8601 repeating duration (or `irregular`) for one of our
/// update frequencies; none for a dataset that is not updated.
pub fn iso_frequency(frequency: &str) -> Option<&'static str> {
    Some(match frequency {
        "real-time" => "R/PT1S",
        "hourly" => "R/PT1H",
        "daily" => "R/P1D",
        "weekly" => "R/P1W",
        "monthly" => "R/P1M",
        "quarterly" => "R/P3M",
        "yearly" => "R/P1Y",
        "irregular" => "irregular",
        _ => return None,
    })
}

/// The media type of a resource format (as publishers write it: `CSV`).
pub fn media_type(format: &str) -> Option<&'static str> {
    Some(match format.to_ascii_uppercase().as_str() {
        "CSV" => "text/csv",
        "JSON" => "application/json",
        "GEOJSON" => "application/geo+json",
        "XML" => "application/xml",
        "XLS" => "application/vnd.ms-excel",
        "XLSX" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "PDF" => "application/pdf",
        "ZIP" => "application/zip",
        "TXT" => "text/plain",
        "HTML" => "text/html",
        "KML" => "application/vnd.google-earth.kml+xml",
        "RSS" => "application/rss+xml",
        _ => return None,
    })
}

/// A resource that is a service to call rather than a file to download.
pub fn is_api(r: &Resource) -> bool {
    matches!(r.format.to_ascii_uppercase().as_str(), "API" | "WMS" | "WFS" | "REST" | "SPARQL")
}

/// A licence's IRI: the Creative Commons and Open Data Commons ones CKAN
/// names; our own page for any other.
pub fn licence_iri(base: &str, id: &str) -> String {
    match id {
        "cc-by" | "CC-BY-4.0" => "https://creativecommons.org/licenses/by/4.0/".to_owned(),
        "cc-by-sa" | "CC-BY-SA-4.0" => "https://creativecommons.org/licenses/by-sa/4.0/".to_owned(),
        "cc-zero" | "CC0-1.0" => "https://creativecommons.org/publicdomain/zero/1.0/".to_owned(),
        "odc-by" => "https://opendatacommons.org/licenses/by/1-0/".to_owned(),
        "odc-odbl" => "https://opendatacommons.org/licenses/odbl/1-0/".to_owned(),
        "odc-pddl" => "https://opendatacommons.org/licenses/pddl/1-0/".to_owned(),
        other => format!("{base}/opendata/licences/{}", url_part(other)),
    }
}

/// A checksum as SPDX names it: `sha256:…` (or bare hex whose length says
/// the algorithm) to the algorithm's local name and the lower-case hex.
pub fn checksum(text: &str) -> Option<(&'static str, String)> {
    let (algorithm, hex) = match text.split_once(':') {
        Some((a, h)) => (Some(a.to_ascii_lowercase()), h),
        None => (None, text),
    };
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let name = match (algorithm.as_deref(), hex.len()) {
        (Some("sha256") | None, 64) => "checksumAlgorithm_sha256",
        (Some("sha1") | None, 40) => "checksumAlgorithm_sha1",
        (Some("md5") | None, 32) => "checksumAlgorithm_md5",
        (Some("sha512"), 128) => "checksumAlgorithm_sha512",
        _ => return None,
    };
    Some((name, hex.to_ascii_lowercase()))
}

/// A path segment with everything but unreserved characters percent-encoded.
fn url_part(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Where things live, from the server's public URL.
#[derive(Debug, Clone)]
pub struct Site {
    /// Without a trailing slash.
    pub base: String,
    /// The catalogue's title and description in en, zh-HK, zh-CN.
    pub title: Texts,
    pub description: Texts,
}

impl Site {
    pub fn catalogue_iri(&self) -> String {
        format!("{}/catalog", self.base)
    }

    pub fn dataset_iri(&self, d: &Dataset) -> String {
        format!("{}/opendata/datasets/{}#dataset", self.base, d.id)
    }

    pub fn landing_page(&self, d: &Dataset) -> String {
        format!("{}/en/opendata/datasets/{}", self.base, d.name)
    }

    fn organisation_iri(&self, name: &str) -> String {
        format!("{}/en/opendata/organisations/{name}", self.base)
    }

    fn category_iri(&self, name: &str) -> String {
        format!("{}/en/opendata/categories/{name}", self.base)
    }
}

/// Where a page sits among the pages of a catalogue of `total` datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u64,
    pub last: u64,
    pub total: u64,
}

/// Why a `page` parameter is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageProblem {
    NotANumber,
    PastTheEnd,
}

impl Page {
    /// The page `text` asks for (1 when absent) of a catalogue of `total`.
    pub fn parse(text: Option<&str>, total: u64) -> Result<Page, PageProblem> {
        let number = match text {
            None => 1,
            Some(t) => t.parse::<u64>().ok().filter(|n| *n >= 1).ok_or(PageProblem::NotANumber)?,
        };
        let last = total.div_ceil(PAGE_SIZE).max(1);
        if number > last {
            return Err(PageProblem::PastTheEnd);
        }
        Ok(Page { number, last, total })
    }

    pub fn offset(self) -> u64 {
        (self.number - 1) * PAGE_SIZE
    }
}

/// One page of the DCAT-AP catalogue: the catalogue, its hydra view of
/// this page (`document` is the page's own path, `/catalog.ttl`), and
/// every dataset on it with its distributions.
pub fn catalogue_page(site: &Site, page: Page, document: &str, datasets: &[Dataset]) -> Graph {
    let mut g = Graph::default();
    let catalogue = iri(site.catalogue_iri());
    g.class(&catalogue, "dcat:Catalog");
    g.class(&catalogue, "hydra:Collection");
    g.texts(&catalogue, "dct:title", &site.title);
    g.texts(&catalogue, "dct:description", &site.description);
    let publisher = g.blank();
    g.add(&catalogue, "dct:publisher", publisher.clone());
    g.add(&catalogue, "foaf:homepage", iri(format!("{}/en/opendata", site.base)));
    for code in ["ENG", "ZHO"] {
        g.add(&catalogue, "dct:language", iri(format!("{EU_LANGUAGE}{code}")));
    }
    g.add(&catalogue, "hydra:totalItems", typed(page.total.to_string(), "xsd:nonNegativeInteger"));
    let link = |n: u64| iri(format!("{}{document}?page={n}", site.base));
    g.add(&catalogue, "hydra:view", link(page.number));
    for d in datasets {
        g.add(&catalogue, "dcat:dataset", iri(site.dataset_iri(d)));
    }
    g.class(&publisher, "foaf:Agent");
    g.texts(&publisher, "foaf:name", &site.title);
    let view = link(page.number);
    g.class(&view, "hydra:PartialCollectionView");
    g.add(&view, "hydra:first", link(1));
    g.add(&view, "hydra:last", link(page.last));
    if page.number > 1 {
        g.add(&view, "hydra:previous", link(page.number - 1));
    }
    if page.number < page.last {
        g.add(&view, "hydra:next", link(page.number + 1));
    }
    for d in datasets {
        dataset(&mut g, site, d);
    }
    g
}

fn dataset(g: &mut Graph, site: &Site, d: &Dataset) {
    let s = iri(site.dataset_iri(d));
    g.class(&s, "dcat:Dataset");
    g.add(&s, "dct:identifier", plain(d.id.clone()));
    g.texts(&s, "dct:title", &d.title);
    // DCAT-AP requires a description: the title stands in for a missing one.
    g.texts(&s, "dct:description", if d.notes.is_empty() { &d.title } else { &d.notes });
    for t in &d.tags {
        g.add(&s, "dcat:keyword", plain(t.name.clone()));
    }
    let publisher = iri(site.organisation_iri(&d.organisation.name));
    g.add(&s, "dct:publisher", publisher.clone());
    for c in &d.groups {
        // Our category, and the EU theme DCAT-AP readers filter by.
        g.add(&s, "dcat:theme", iri(site.category_iri(&c.name)));
        if let Some(theme) = eu_theme(&c.name) {
            g.add(&s, "dcat:theme", iri(format!("{EU_THEME}{theme}")));
        }
    }
    g.add(&s, "dct:license", iri(licence_iri(&site.base, &d.license_id)));
    if let Some(term) = eu_frequency(&d.update_frequency) {
        g.add(&s, "dct:accrualPeriodicity", iri(format!("{EU_FREQUENCY}{term}")));
    }
    g.add(&s, "dct:issued", typed(date_time(d.created_at), "xsd:dateTime"));
    g.add(&s, "dct:modified", typed(date_time(d.modified_at), "xsd:dateTime"));
    g.add(&s, "dcat:landingPage", iri(site.landing_page(d)));
    let mut codes: Vec<&str> = d.languages().into_iter().map(|t| if t == "en" { "ENG" } else { "ZHO" }).collect();
    codes.dedup();
    for code in codes {
        g.add(&s, "dct:language", iri(format!("{EU_LANGUAGE}{code}")));
    }
    let temporal = (d.temporal_start.is_some() || d.temporal_end.is_some()).then(|| g.blank());
    if let Some(t) = &temporal {
        g.add(&s, "dct:temporal", t.clone());
    }
    let spatial = (!d.spatial.is_empty()).then(|| g.blank());
    if let Some(place) = &spatial {
        g.add(&s, "dct:spatial", place.clone());
    }
    let contact = (!d.contact_name.is_empty() || !d.contact_email.is_empty()).then(|| g.blank());
    if let Some(c) = &contact {
        g.add(&s, "dcat:contactPoint", c.clone());
    }
    let distributions: Vec<(Term, &Resource)> = d
        .resources
        .iter()
        .map(|r| (iri(format!("{}/opendata/resources/{}#distribution", site.base, r.id)), r))
        .collect();
    for (node, _) in &distributions {
        g.add(&s, "dcat:distribution", node.clone());
    }
    // The nodes the dataset points at, each with its properties together.
    g.class(&publisher, "foaf:Agent");
    g.texts(&publisher, "foaf:name", &d.organisation.title);
    if let Some(t) = temporal {
        g.class(&t, "dct:PeriodOfTime");
        if let Some(start) = d.temporal_start {
            g.add(&t, "dcat:startDate", typed(start.to_string(), "xsd:date"));
        }
        if let Some(end) = d.temporal_end {
            g.add(&t, "dcat:endDate", typed(end.to_string(), "xsd:date"));
        }
    }
    if let Some(place) = spatial {
        g.class(&place, "dct:Location");
        g.texts(&place, "skos:prefLabel", &d.spatial);
    }
    if let Some(c) = contact {
        g.class(&c, "vcard:Kind");
        let name = if d.contact_name.is_empty() { d.organisation.title.display() } else { &d.contact_name };
        g.add(&c, "vcard:fn", plain(name));
        if !d.contact_email.is_empty() {
            g.add(&c, "vcard:hasEmail", iri(format!("mailto:{}", d.contact_email)));
        }
    }
    for (node, r) in distributions {
        distribution(g, &node, r);
    }
}

fn distribution(g: &mut Graph, s: &Term, r: &Resource) {
    g.class(s, "dcat:Distribution");
    g.texts(s, "dct:title", &r.name);
    g.texts(s, "dct:description", &r.description);
    g.add(s, "dcat:accessURL", iri(r.url.clone()));
    if !is_api(r) {
        g.add(s, "dcat:downloadURL", iri(r.url.clone()));
    }
    if !r.format.is_empty() {
        g.add(s, "dct:format", iri(format!("{EU_FILE_TYPE}{}", url_part(&r.format.to_ascii_uppercase()))));
    }
    if let Some(media) = media_type(&r.format) {
        g.add(s, "dcat:mediaType", iri(format!("{IANA_MEDIA}{media}")));
    }
    if let Some(size) = r.size {
        g.add(s, "dcat:byteSize", typed(size.to_string(), "xsd:nonNegativeInteger"));
    }
    if let Some(modified) = r.last_modified {
        g.add(s, "dct:modified", typed(date_time(modified), "xsd:dateTime"));
    }
    if let Some((algorithm, hex)) = r.checksum.as_deref().and_then(checksum) {
        let sum = g.blank();
        g.add(s, "spdx:checksum", sum.clone());
        g.class(&sum, "spdx:Checksum");
        g.add(&sum, "spdx:algorithm", iri(expand(&format!("spdx:{algorithm}"))));
        g.add(&sum, "spdx:checksumValue", typed(hex, "xsd:hexBinary"));
    }
}

/// Project Open Data's (DCAT-US 1.1) catalogue, without its datasets: the
/// opening the stream of `data.json` writes before them.
pub fn data_json_head(site: &Site) -> Value {
    json!({
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@id": format!("{}/data.json", site.base),
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
    })
}

/// One dataset as DCAT-US 1.1 describes it: texts in English (else the
/// language they have), the languages they are written in listed.
pub fn data_json_dataset(site: &Site, d: &Dataset) -> Value {
    let mut keywords: Vec<String> = d.tags.iter().map(|t| t.name.clone()).collect();
    if keywords.is_empty() {
        // The schema wants at least one: the categories, else the publisher.
        keywords = d.groups.iter().map(|g| g.title.display().to_owned()).collect();
    }
    if keywords.is_empty() {
        keywords.push(d.organisation.title.display().to_owned());
    }
    let mut contact = json!({
        "@type": "vcard:Contact",
        "fn": if d.contact_name.is_empty() { d.organisation.title.display() } else { &d.contact_name },
    });
    if !d.contact_email.is_empty() {
        contact["hasEmail"] = json!(format!("mailto:{}", d.contact_email));
    }
    let mut out = json!({
        "@type": "dcat:Dataset",
        "identifier": d.id,
        "title": d.title.display(),
        "description": if d.notes.is_empty() { d.title.display() } else { d.notes.display() },
        "keyword": keywords,
        "issued": date_time(d.created_at),
        "modified": date_time(d.modified_at),
        "publisher": {"@type": "org:Organization", "name": d.organisation.title.display()},
        "contactPoint": contact,
        "accessLevel": "public",
        "license": licence_iri(&site.base, &d.license_id),
        "landingPage": site.landing_page(d),
        "language": d.languages(),
        "theme": d.groups.iter().map(|g| g.title.display()).collect::<Vec<_>>(),
        "distribution": d.resources.iter().map(data_json_distribution).collect::<Vec<_>>(),
    });
    if let Some(frequency) = iso_frequency(&d.update_frequency) {
        out["accrualPeriodicity"] = json!(frequency);
    }
    if let (Some(start), Some(end)) = (d.temporal_start, d.temporal_end) {
        out["temporal"] = json!(format!("{start}/{end}"));
    }
    if !d.spatial.is_empty() {
        out["spatial"] = json!(d.spatial.display());
    }
    out
}

fn data_json_distribution(r: &Resource) -> Value {
    let mut out = json!({"@type": "dcat:Distribution"});
    if is_api(r) {
        out["accessURL"] = json!(r.url);
    } else {
        out["downloadURL"] = json!(r.url);
        out["mediaType"] = json!(media_type(&r.format).unwrap_or("application/octet-stream"));
    }
    if !r.format.is_empty() {
        out["format"] = json!(r.format);
    }
    if !r.name.is_empty() {
        out["title"] = json!(r.name.display());
    }
    if !r.description.is_empty() {
        out["description"] = json!(r.description.display());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turtle_strings_escape_quotes_backslashes_and_line_breaks() {
        assert_eq!(turtle_string("say \"hi\"\\\n\r\t雨"), "\"say \\\"hi\\\"\\\\\\n\\r\\t雨\"");
        assert_eq!(turtle_string("\u{7}"), "\"\\u0007\"");
        assert_eq!(turtle_iri("https://x.org/a b<c>"), "https://x.org/a%20b%3Cc%3E");
    }

    #[test]
    fn pages_are_counted_from_one_and_end_at_the_last() {
        assert_eq!(Page::parse(None, 0), Ok(Page { number: 1, last: 1, total: 0 }));
        assert_eq!(Page::parse(Some("2"), 1001).map(Page::offset), Ok(1000));
        assert_eq!(Page::parse(Some("3"), 2000), Err(PageProblem::PastTheEnd));
        for bad in ["0", "-1", "x", ""] {
            assert_eq!(Page::parse(Some(bad), 10), Err(PageProblem::NotANumber), "{bad}");
        }
    }

    #[test]
    fn checksums_name_their_algorithm() {
        let hex = "AB".repeat(32);
        assert_eq!(checksum(&format!("sha256:{hex}")), Some(("checksumAlgorithm_sha256", hex.to_ascii_lowercase())));
        assert_eq!(checksum(&"0".repeat(40)).map(|c| c.0), Some("checksumAlgorithm_sha1"));
        assert_eq!(checksum("sha256:00ff"), None);
        assert_eq!(checksum("zz"), None);
    }

    #[test]
    fn frequencies_map_to_both_vocabularies() {
        for f in crate::catalogue::FREQUENCIES {
            assert!(eu_frequency(f).is_some(), "{f}");
        }
        assert_eq!(iso_frequency("daily"), Some("R/P1D"));
        let themed = crate::catalogue::CATEGORIES.iter().filter(|c| eu_theme(c.name).is_some()).count();
        assert_eq!(themed, 18, "every category but miscellaneous");
        assert_eq!(iso_frequency("not-updated"), None);
    }
}
