//! The search index: a tantivy index local to each server (a directory
//! under the data directory, or in memory), one document per dataset that
//! is not deleted, read through [`text::analyzer`]. It follows the
//! catalogue's change sequence: each commit carries the last change number
//! it holds, so a server that restarts, or a new one, goes on from there.
//!
//! Invariant: a search answers only after the index holds every change the
//! database had when the search began (`catch_up`), so every server gives
//! the same answer once a change is committed, whichever took it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use sea_orm::{ConnectionTrait, DbErr};
use tantivy::collector::sort_key::SortByErasedType;
use tantivy::collector::{Count, FacetCollector, SortKeyComputer, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, TermQuery};
use tantivy::schema::{
    FAST, Facet, FacetOptions, IndexRecordOption, STORED, STRING, Schema, TantivyDocument, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Term};

use super::{Field, Query, SortKey, text};
use crate::catalogue::store as catalogue;
use crate::catalogue::{Dataset, State};

/// Why the index could not answer or be written.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The index's fields.
#[derive(Clone, Copy)]
struct Fields {
    id: tantivy::schema::Field,
    title: tantivy::schema::Field,
    text: tantivy::schema::Field,
    /// The same texts, unstemmed: what typos are measured against.
    written: tantivy::schema::Field,
    facets: tantivy::schema::Field,
    /// `public`, `private` or `draft`.
    visibility: tantivy::schema::Field,
    organisation_id: tantivy::schema::Field,
    modified: tantivy::schema::Field,
    created: tantivy::schema::Field,
    title_sort: tantivy::schema::Field,
    /// One exact field per filter field (`res_format` lower-cased).
    filters: [tantivy::schema::Field; Field::ALL.len()],
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(text::ANALYZER).set_index_option(IndexRecordOption::WithFreqs),
    );
    let unstemmed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(text::WORDS).set_index_option(IndexRecordOption::Basic),
    );
    let id = b.add_text_field("id", STRING | STORED);
    let title = b.add_text_field("title", words.clone());
    let text = b.add_text_field("text", words);
    let written = b.add_text_field("written", unstemmed);
    let facets = b.add_facet_field("facets", FacetOptions::default());
    let visibility = b.add_text_field("visibility", STRING);
    let organisation_id = b.add_text_field("organisation_id", STRING);
    let modified = b.add_i64_field("metadata_modified", FAST);
    let created = b.add_i64_field("metadata_created", FAST);
    let title_sort = b.add_text_field("title_string", FAST);
    let filters = Field::ALL.map(|f| {
        if f == Field::Name {
            b.add_text_field(f.as_str(), STRING | FAST)
        } else {
            b.add_text_field(f.as_str(), STRING)
        }
    });
    let fields = Fields {
        id,
        title,
        text,
        written,
        facets,
        visibility,
        organisation_id,
        modified,
        created,
        title_sort,
        filters,
    };
    (b.build(), fields)
}

/// Where a server keeps its index.
#[derive(Debug, Clone)]
pub enum Place<'a> {
    Memory,
    Directory(&'a Path),
}

/// One server's index and how far it has followed the change sequence.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    /// The last change number the index holds.
    applied: AtomicI64,
    /// One catch-up at a time.
    catching_up: tokio::sync::Mutex<()>,
}

/// Memory the index writer may use before it writes a segment.
const WRITER_MEMORY: usize = 50_000_000;
/// Changes read per round of a catch-up.
const CHANGES_PER_ROUND: u64 = 1000;

impl SearchIndex {
    /// Opens the index at `place` (made when missing, made anew when it was
    /// written with another schema: the catch-up then refills it).
    pub fn open(place: Place<'_>) -> Result<SearchIndex, IndexError> {
        let (schema, fields) = schema();
        let index = match place {
            Place::Memory => Index::create_in_ram(schema),
            Place::Directory(path) => {
                let open = |path: &Path| -> Result<Index, IndexError> {
                    std::fs::create_dir_all(path)
                        .map_err(|e| IndexError::Directory(format!("{}: {e}", path.display())))?;
                    let dir = MmapDirectory::open(path)
                        .map_err(|e| IndexError::Directory(format!("{}: {e}", path.display())))?;
                    Ok(Index::open_or_create(dir, schema.clone())?)
                };
                match open(path) {
                    Ok(index) => index,
                    Err(IndexError::Index(tantivy::TantivyError::SchemaError(_))) => {
                        tracing::warn!(path = %path.display(), "search index has another schema: made anew");
                        std::fs::remove_dir_all(path)
                            .map_err(|e| IndexError::Directory(format!("{}: {e}", path.display())))?;
                        open(path)?
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        index.tokenizers().register(text::ANALYZER, text::analyzer());
        index.tokenizers().register(text::WORDS, text::words());
        let applied = index.load_metas()?.payload.and_then(|p| p.parse::<i64>().ok()).unwrap_or(0);
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => IndexError::Directory(
                "the search index is in use by another lionrock process (a running server?)".to_owned(),
            ),
            e => IndexError::Index(e),
        })?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
            applied: AtomicI64::new(applied),
            catching_up: tokio::sync::Mutex::new(()),
        })
    }

    /// The last change number the index holds.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    fn document(&self, d: &Dataset) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &d.id);
        for t in [&d.title.en, &d.title.zh_hk, &d.title.zh_cn] {
            doc.add_text(f.title, t);
        }
        let mut words: Vec<&str> = vec![&d.name, &d.organisation.name];
        for texts in [&d.title, &d.notes, &d.spatial, &d.organisation.title] {
            words.extend([texts.en.as_str(), &texts.zh_hk, &texts.zh_cn]);
        }
        for g in &d.groups {
            words.extend([g.name.as_str(), &g.title.en, &g.title.zh_hk, &g.title.zh_cn]);
        }
        words.extend(d.tags.iter().map(|t| t.name.as_str()));
        let formats = d.formats();
        words.extend(formats.iter().map(String::as_str));
        for w in words.into_iter().filter(|w| !w.is_empty()) {
            doc.add_text(f.text, w);
            doc.add_text(f.written, w);
        }
        for (field, slot) in Field::ALL.iter().zip(f.filters) {
            for value in field.values(d) {
                let exact = if *field == Field::ResFormat { value.to_lowercase() } else { value.clone() };
                doc.add_text(slot, &exact);
                doc.add_facet(f.facets, Facet::from_path([field.as_str(), value.as_str()]));
            }
        }
        let visibility = match (d.state, d.private) {
            (State::Published, false) => "public",
            (State::Published, true) => "private",
            _ => "draft",
        };
        doc.add_text(f.visibility, visibility);
        doc.add_text(f.organisation_id, &d.organisation.id);
        doc.add_i64(f.modified, micros(d.modified_at));
        doc.add_i64(f.created, micros(d.created_at));
        doc.add_text(f.title_sort, d.title.display().to_lowercase());
        doc
    }

    /// Replaces what the index holds of `ids` by `datasets` (those of them
    /// not deleted) and commits, recording `seq` as applied.
    pub fn replace(&self, ids: &[String], datasets: &[Dataset], seq: i64) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in ids {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
        }
        for d in datasets.iter().filter(|d| d.state != State::Deleted) {
            writer.add_document(self.document(d))?;
        }
        self.commit(&mut writer, seq)
    }

    /// Empties the index (a rebuild starts here; commits with the rebuild's first batch).
    pub fn clear(&self) -> Result<(), IndexError> {
        let writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        writer.delete_all_documents()?;
        Ok(())
    }

    fn commit(&self, writer: &mut IndexWriter, seq: i64) -> Result<(), IndexError> {
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        self.reader.reload()?;
        self.applied.fetch_max(seq, Ordering::AcqRel);
        Ok(())
    }

    /// Sets the applied change number after a rebuild (which may lower it:
    /// the rebuild read the catalogue as of `seq`).
    pub fn set_applied(&self, seq: i64) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.commit(&mut writer, seq)?;
        self.applied.store(seq, Ordering::Release);
        Ok(())
    }

    /// Applies every change after the last applied one, as the database
    /// holds them now; does nothing when the index is current.
    pub async fn catch_up(&self, db: &impl ConnectionTrait) -> Result<(), IndexError> {
        if catalogue::change_head(db).await? <= self.applied() {
            return Ok(());
        }
        let _one = self.catching_up.lock().await;
        loop {
            let changes = catalogue::changes_after(db, self.applied(), CHANGES_PER_ROUND).await?;
            let Some(last) = changes.last().map(|c| c.seq) else { return Ok(()) };
            let mut ids: Vec<String> = changes.into_iter().map(|c| c.dataset_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let datasets = catalogue::datasets_by_ids(db, &ids).await?;
            self.replace(&ids, &datasets, last)?;
        }
    }

    /// Runs a checked query for a reader who publishes for the
    /// organisations `publishes` (IDs).
    pub fn search(&self, query: &Query, publishes: &[String]) -> Result<Hits, IndexError> {
        let searcher = self.reader.searcher();
        let tantivy_query = self.query(query, publishes);
        let mut facet_collector = FacetCollector::for_field("facets");
        for field in &query.facets {
            facet_collector.add_facet(Facet::from_path([field.as_str()]));
        }
        // An offset past every document finds nothing; clamped, it cannot
        // make tantivy reserve memory for a page no index could fill.
        let start = query.start.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX));
        let (count, facet_counts, top) = if query.rows == 0 {
            let (count, facets) = searcher.search(&tantivy_query, &(Count, facet_collector))?;
            (count, facets, Vec::new())
        } else {
            let top = TopDocs::with_limit(query.rows).and_offset(start).order_by(sort_keys(&query.sort));
            let (count, facets, top) = searcher.search(&tantivy_query, &(Count, facet_collector, top))?;
            (count, facets, top.into_iter().map(|(_, address)| address).collect::<Vec<DocAddress>>())
        };
        let mut ids = Vec::with_capacity(top.len());
        for address in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                ids.push(id.to_owned());
            }
        }
        let mut facets = BTreeMap::new();
        for field in &query.facets {
            let mut values: Vec<(String, usize)> = facet_counts
                .get(Facet::from_path([field.as_str()]))
                .filter_map(|(facet, n)| {
                    let value = facet.to_path().last().map(|v| (*v).to_owned())?;
                    let n = usize::try_from(n).unwrap_or(usize::MAX);
                    (n >= query.facet_mincount).then_some((value, n))
                })
                .collect();
            values.sort_by(|(va, na), (vb, nb)| nb.cmp(na).then_with(|| va.cmp(vb)));
            if let Some(limit) = query.facet_limit {
                values.truncate(limit);
            }
            facets.insert(*field, values);
        }
        Ok(Hits { count, ids, facets })
    }

    fn query(&self, query: &Query, publishes: &[String]) -> BooleanQuery {
        let f = &self.fields;
        let term = |field, value: &str| -> Box<dyn tantivy::query::Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let mut clauses: Vec<(Occur, Box<dyn tantivy::query::Query>)> = vec![(Occur::Must, Box::new(AllQuery))];
        // Who may see what: public datasets, and a publisher's own private
        // ones or drafts when the query asks for them.
        let mut visible: Vec<(Occur, Box<dyn tantivy::query::Query>)> =
            vec![(Occur::Should, term(f.visibility, "public"))];
        let own = || -> Box<dyn tantivy::query::Query> {
            Box::new(BooleanQuery::new(
                publishes.iter().map(|id| (Occur::Should, term(f.organisation_id, id))).collect(),
            ))
        };
        if !publishes.is_empty() {
            for (wanted, kind) in [(query.include_private, "private"), (query.include_drafts, "draft")] {
                if wanted {
                    let theirs = BooleanQuery::new(vec![(Occur::Must, term(f.visibility, kind)), (Occur::Must, own())]);
                    visible.push((Occur::Should, Box::new(theirs)));
                }
            }
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(visible))));
        for t in &query.terms {
            let slot = f.filters[Field::ALL.iter().position(|x| *x == t.field).unwrap_or(0)];
            let value = if t.field == Field::ResFormat { t.value.to_lowercase() } else { t.value.clone() };
            clauses.push((if t.negated { Occur::MustNot } else { Occur::Must }, term(slot, &value)));
        }
        // Each word widened by typos or as a word's start builds an automaton:
        // only the first few are, and only words of a sensible length.
        let mut widened = 0;
        for word in &query.words {
            for (term, written) in text::terms_and_words(word) {
                let widen = widened < MAX_WIDENED_WORDS;
                let word = self.word(&term, &written, widen);
                widened += usize::from(word.1);
                clauses.push((Occur::Must, Box::new(word.0)));
            }
        }
        BooleanQuery::new(clauses)
    }

    /// One term of the words searched: in a title (which counts most), in
    /// any text, or, for a Latin word long enough to tell, the start of a
    /// word as written (`rain` finds Rainfall, as a search box is typed) or
    /// one typo away from one (two for a long word).
    fn word(&self, term: &str, written: &str, widen: bool) -> (BooleanQuery, bool) {
        let f = &self.fields;
        let title = Term::from_field_text(f.title, term);
        let text = Term::from_field_text(f.text, term);
        let mut either: Vec<(Occur, Box<dyn tantivy::query::Query>)> = vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(TermQuery::new(title, IndexRecordOption::WithFreqs)), 3.0)),
            ),
            (Occur::Should, Box::new(TermQuery::new(text, IndexRecordOption::WithFreqs))),
        ];
        let letters = written.chars().count();
        let widened = widen && written.chars().all(|c| c.is_ascii_alphabetic()) && (4..=24).contains(&letters);
        if widened {
            let distance = if letters >= 8 { 2 } else { 1 };
            let fuzzy = FuzzyTermQuery::new(Term::from_field_text(f.written, written), distance, true);
            either.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), 0.5))));
            let prefix = FuzzyTermQuery::new_prefix(Term::from_field_text(f.written, written), 0, false);
            either.push((Occur::Should, Box::new(BoostQuery::new(Box::new(prefix), 0.5))));
        }
        (BooleanQuery::new(either), widened)
    }
}

/// Words of a query widened by typos and as a word's start, at most.
const MAX_WIDENED_WORDS: usize = 8;

type Key = (SortByErasedType, Order);

/// The sort as tantivy keys: the first two asked for, then the name (which
/// is unique, so no later key could change the order).
fn sort_keys(
    sort: &[(SortKey, bool)],
) -> impl SortKeyComputer<SortKey = (tantivy::schema::OwnedValue, tantivy::schema::OwnedValue, tantivy::schema::OwnedValue)>
+ Send
+ 'static {
    let key = |(k, desc): (SortKey, bool)| -> Key {
        let by = match k {
            SortKey::Score => SortByErasedType::for_score(),
            SortKey::Modified => SortByErasedType::for_field("metadata_modified"),
            SortKey::Created => SortByErasedType::for_field("metadata_created"),
            SortKey::Name => SortByErasedType::for_field("name"),
            SortKey::Title => SortByErasedType::for_field("title_string"),
        };
        (by, if desc { Order::Desc } else { Order::Asc })
    };
    let mut keys: Vec<(SortKey, bool)> = Vec::new();
    for k in sort {
        keys.push(*k);
        if k.0 == SortKey::Name || keys.len() == 2 {
            break;
        }
    }
    while keys.len() < 3 {
        keys.push((SortKey::Name, false));
    }
    (key(keys[0]), key(keys[1]), key(keys[2]))
}

fn micros(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// What a search found: how many, one page of dataset IDs in order, and
/// the facets (per field, values with their counts, most first).
#[derive(Debug)]
pub struct Hits {
    pub count: usize,
    pub ids: Vec<String>,
    pub facets: BTreeMap<Field, Vec<(String, usize)>>,
}
