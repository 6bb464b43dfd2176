//! Dependants: people without a sign-in of their own (children, elderly
//! relatives), looked after by one or more guardian accounts. Their
//! details live in the same profile as anyone's; every act is audited.
//!
//! Here, the rules: how a guardian describes a new dependant and what makes
//! that description acceptable. The `guardian` rows and every query
//! (`store::acts_for`, which later domains ask) are in `store`; the page in `http`.

use platform::form::FormErrors;

pub(crate) mod http;
pub mod store;

/// How a guardian may be related to the person they look after (stored as is).
pub(crate) const RELATIONS: [&str; 4] = ["child", "parent", "relative", "other"];

/// A dependant as listed to their guardian.
pub struct Dependant {
    pub person_id: String,
    pub name: String,
    pub name_zh: String,
    pub birthdate: String,
    pub relation_key: String,
}

/// A new dependant as their guardian describes them (fields trimmed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewDependant<'a> {
    pub(crate) name: &'a str,
    pub(crate) name_zh: &'a str,
    pub(crate) birthdate: &'a str,
    pub(crate) relation: &'a str,
}

impl NewDependant<'_> {
    /// The profile fields given, by slug (an empty one is not stored).
    pub(crate) fn fields(&self) -> [(&'static str, &str); 3] {
        [("name", self.name), ("name_zh", self.name_zh), ("birthdate", self.birthdate)]
    }

    /// What is wrong with the description, by field; empty when it can be added.
    pub(crate) fn problems(&self) -> FormErrors {
        let mut errors = FormErrors::new();
        if self.name.is_empty() && self.name_zh.is_empty() {
            errors.add("name", "dependant-name-missing");
        }
        for (slug, value) in self.fields() {
            if let Some(key) = crate::profile::field(slug).and_then(|f| crate::profile::problem(&f, value)) {
                errors.add(slug, key);
            }
        }
        if self.birthdate.is_empty() {
            errors.add("birthdate", "dependant-birthdate-missing");
        }
        if !RELATIONS.contains(&self.relation) {
            errors.add("relation", "dependant-relation-missing");
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::NewDependant;

    const CHILD: NewDependant<'static> =
        NewDependant { name: "CHAN Siu Ming", name_zh: "", birthdate: "2018-06-01", relation: "child" };

    #[test]
    fn a_named_dependant_with_a_birth_date_and_a_relation_is_accepted() {
        assert!(CHILD.problems().is_empty());
        assert!(NewDependant { name: "", name_zh: "陳小明", ..CHILD }.problems().is_empty());
    }

    #[test]
    fn each_missing_or_wrong_part_is_named_by_its_field() {
        let problems = NewDependant { name: "", name_zh: "", ..CHILD }.problems();
        assert_eq!(problems.keys(), ["dependant-name-missing"]);
        let problems = NewDependant { birthdate: "", ..CHILD }.problems();
        assert_eq!(problems.keys(), ["dependant-birthdate-missing"]);
        let problems = NewDependant { birthdate: "2999-01-01", ..CHILD }.problems();
        assert_eq!(problems.keys(), ["profile-birthdate-invalid"]);
        let problems = NewDependant { relation: "pet", ..CHILD }.problems();
        assert!(problems.has("relation"));
    }
}
