//! The DCC value sets (code lists such as vaccine products or country codes), loaded by the caller in the eHN JSON shape.

use std::collections::{BTreeMap, BTreeSet};

/// One of the value sets a payload field refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueSet {
    /// `disease-agent-targeted`: every record's `tg`.
    DiseaseAgentTargeted,
    /// `vaccine-prophylaxis`: `v[].vp`.
    VaccineProphylaxis,
    /// `vaccine-medicinal-product`: `v[].mp`.
    VaccineMedicinalProduct,
    /// `vaccine-mah-manf`: `v[].ma`.
    VaccineMahManf,
    /// `test-type`: `t[].tt`.
    TestType,
    /// `test-manf`: `t[].ma` (rapid antigen test devices).
    TestManf,
    /// `test-result`: `t[].tr`.
    TestResult,
    /// `country-2-codes`: every record's `co`.
    Country,
}

impl ValueSet {
    /// Every value set, in a fixed order.
    pub const ALL: [ValueSet; 8] = [
        ValueSet::DiseaseAgentTargeted,
        ValueSet::VaccineProphylaxis,
        ValueSet::VaccineMedicinalProduct,
        ValueSet::VaccineMahManf,
        ValueSet::TestType,
        ValueSet::TestManf,
        ValueSet::TestResult,
        ValueSet::Country,
    ];

    /// The name of the value set's file in the eHN repository, without `.json`.
    pub fn file_stem(self) -> &'static str {
        match self {
            ValueSet::DiseaseAgentTargeted => "disease-agent-targeted",
            ValueSet::VaccineProphylaxis => "vaccine-prophylaxis",
            ValueSet::VaccineMedicinalProduct => "vaccine-medicinal-product",
            ValueSet::VaccineMahManf => "vaccine-mah-manf",
            ValueSet::TestType => "test-type",
            ValueSet::TestManf => "test-manf",
            ValueSet::TestResult => "test-result",
            ValueSet::Country => "country-2-codes",
        }
    }
}

/// The codes a verifier or issuer accepts, per value set. A value set that was
/// not loaded is not checked: [`ValueSets::unchecked`] checks none. Value sets
/// change over time (new vaccines, new test devices), so they are data the
/// caller loads, not constants in this crate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueSets {
    codes: BTreeMap<ValueSet, BTreeSet<String>>,
}

/// A value-set document that is not in the eHN shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("value set {set:?}: {problem}")]
pub struct ValueSetError {
    set: ValueSet,
    problem: String,
}

impl ValueSets {
    /// No value set: only the schema's structure and formats are checked.
    pub fn unchecked() -> Self {
        Self::default()
    }

    /// Adds a value set from its eHN JSON document (`{"valueSetId": …,
    /// "valueSetValues": {"CODE": {…}, …}}`); every key of `valueSetValues`
    /// is an accepted code, whatever its `active` flag says (inactive codes
    /// still appear in certificates issued while they were active).
    pub fn load(&mut self, set: ValueSet, json: &str) -> Result<(), ValueSetError> {
        let error = |problem: String| ValueSetError { set, problem };
        let document: serde_json::Value = serde_json::from_str(json).map_err(|e| error(e.to_string()))?;
        let values = document
            .get("valueSetValues")
            .and_then(serde_json::Value::as_object)
            .ok_or_else(|| error("no `valueSetValues` object".into()))?;
        self.codes.entry(set).or_default().extend(values.keys().cloned());
        Ok(())
    }

    /// Adds codes to a value set directly.
    pub fn extend(&mut self, set: ValueSet, codes: impl IntoIterator<Item = impl Into<String>>) {
        self.codes.entry(set).or_default().extend(codes.into_iter().map(Into::into));
    }

    /// Whether `code` is acceptable for `set`: `None` when the set was not loaded.
    pub fn contains(&self, set: ValueSet, code: &str) -> Option<bool> {
        self.codes.get(&set).map(|codes| codes.contains(code))
    }
}
