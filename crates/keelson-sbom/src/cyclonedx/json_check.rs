//! Schema validation of CycloneDX JSON without a tree of the whole document: the
//! document with `components` and `dependencies` emptied against the whole schema,
//! then each element of those arrays, then `uniqueItems` across each array. Problems
//! carry the pointers, messages and schema paths a check of the whole tree gives
//! (`/components/12345/purl`, `123 is not of type "string"`).
//!
//! An element is checked as the only element of a small document that is otherwise
//! valid, by the validator of the whole schema. A validator compiled from the element's
//! definition alone (`{"$ref": "<root $id>#/definitions/component"}`, with the root
//! schema registered under its `$id`) finds the same problems, but jsonschema gives a
//! `$ref`'d definition one compiled node, and reports the schema path of the place it
//! first compiled it; the two validators compile `#/definitions/component` from
//! different places, so their schema paths for one problem differ.

use jsonschema::Validator;
use serde_json::{Map, Value};

use crate::error::{Error, Location};
use crate::json_stream::{Members, parse_element};
use crate::json_walk::index_pointer;
use crate::schemas::{ArrayRules, Schema, TopArray};
use crate::unique_items::UniqueItems;
use crate::validate::{Problem, schema_problem, schema_problems};

/// Every schema problem of a CycloneDX JSON document that `decode` found well-formed,
/// in the order a check of the whole tree lists them: jsonschema goes through the
/// members in name order (each array's elements in order, then its `uniqueItems`), then
/// the document-level keywords (`additionalProperties`, `required`).
pub(crate) fn check(schema: Schema, text: &str) -> Vec<Problem> {
    let validator = match schema.validator() {
        Ok(validator) => validator,
        Err(reason) => return vec![Problem::new(Location::Document, reason)],
    };
    let members = match Members::parse(text) {
        Ok(members) => members,
        Err(error) => return vec![syntax(&error)],
    };
    let mut problems = match members.rest(&TopArray::ALL.map(TopArray::key)) {
        Ok(rest) => schema_problems(validator, &rest, "", ""),
        Err(error) => return vec![syntax(&error)],
    };

    for array in TopArray::ALL {
        let found = check_array(schema, validator, array, &members);
        let at = problems
            .iter()
            .position(|p| listed_after(p, array.key()))
            .unwrap_or(problems.len());
        problems.splice(at..at, found);
    }
    problems
}

/// Whether a problem of the rest of the document comes after those of member `key`: it
/// is about a member whose name sorts after `key`, or about the document itself.
fn listed_after(problem: &Problem, key: &str) -> bool {
    let Location::Pointer { pointer } = &problem.at else {
        return true;
    };
    match pointer.split('/').nth(1) {
        Some(token) => token.replace("~1", "/").replace("~0", "~").as_str() > key,
        None => true,
    }
}

/// The problems of the elements of one top-level array, when it is one (a member of
/// another type was checked with the rest of the document).
fn check_array(
    schema: Schema,
    validator: &Validator,
    array: TopArray,
    members: &Members<'_>,
) -> Vec<Problem> {
    let elements = match members.elements(array.key()) {
        Ok(elements) if elements.is_empty() => return Vec::new(),
        Ok(elements) => elements,
        Err(error) => return vec![syntax(&error)],
    };
    let rules = match schema.array_rules(array) {
        Ok(rules) => rules,
        Err(reason) => return vec![Problem::new(Location::Document, reason)],
    };

    let mut holder = ElementHolder::new(rules, array);
    let mut unique = rules.unique.then(|| UniqueItems::new(&elements));
    let mut problems = Vec::new();
    for (index, raw) in elements.iter().enumerate() {
        let element = match parse_element(raw) {
            Ok(element) => element,
            Err(error) => return vec![syntax(&error)],
        };
        let element = holder.check(validator, element, index, &mut problems);
        if let Some(unique) = &mut unique {
            unique.add(index, element);
        }
    }
    let pointer = format!("/{}", array.key());
    if let Some(unique) = unique {
        problems.extend(unique.problem(&pointer, &rules.array_path));
    }
    problems
}

/// A document valid but for the one element it holds: the members every CycloneDX
/// version requires (`bomFormat`, a `specVersion` the schema accepts, and `version`,
/// which 1.4 requires), and the array with that element alone.
struct ElementHolder {
    document: Value,
    array: TopArray,
    /// The holder's pointer of the element (`/components/0`).
    slot: String,
}

impl ElementHolder {
    fn new(rules: &ArrayRules, array: TopArray) -> Self {
        let mut document = Map::new();
        document.insert("bomFormat".into(), Value::from("CycloneDX"));
        document.insert("specVersion".into(), Value::from(rules.spec_version));
        document.insert("version".into(), Value::from(1));
        document.insert(array.key().into(), Value::Array(vec![Value::Null]));
        Self {
            document: Value::Object(document),
            array,
            slot: format!("/{}/0", array.key()),
        }
    }

    /// Adds the problems of element `index` to `problems` and hands the element back.
    fn check(
        &mut self,
        validator: &Validator,
        element: Value,
        index: usize,
        problems: &mut Vec<Problem>,
    ) -> Value {
        let Some(slot) = self.document.pointer_mut(&self.slot) else {
            return element;
        };
        *slot = element;
        if !validator.is_valid(&self.document) {
            let at = index_pointer(&format!("/{}", self.array.key()), index);
            for error in validator.iter_errors(&self.document) {
                // The rest of the holder is valid (a test holds it so), so every error
                // is inside the element; one outside would keep the holder's pointer.
                let path = error.instance_path().as_str();
                let inside = path
                    .strip_prefix(self.slot.as_str())
                    .filter(|rest| rest.is_empty() || rest.starts_with('/'));
                let pointer = match inside {
                    Some(rest) => format!("{at}{rest}"),
                    None => path.to_string(),
                };
                problems.push(schema_problem(&error, pointer, ""));
            }
        }
        self.document
            .pointer_mut(&self.slot)
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// A syntax error in text the first pass accepted, which would be a fault of this crate;
/// reported rather than hidden.
fn syntax(error: &serde_json::Error) -> Problem {
    Problem::from_error(&Error::from_json(error))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::cyclonedx::test_documents::{
        DEEP_INDEX, MUTATION_SEEDS, corpus_documents, large_document, mutations,
    };
    use crate::validate::against_schema;

    /// The oracle: jsonschema on a tree of the whole document, as validation was before
    /// the arrays were streamed.
    fn whole_tree(text: &str) -> Option<Vec<Problem>> {
        let value: Value = serde_json::from_str(text).ok()?;
        let schema = Schema::cyclonedx(value.get("specVersion")?.as_str()?)?;
        Some(against_schema(schema, &value))
    }

    fn streamed(text: &str) -> Vec<Problem> {
        crate::validate(text.as_bytes())
    }

    fn same_as_whole_tree(text: &str) -> Vec<Problem> {
        let problems = streamed(text);
        assert_eq!(Some(problems.clone()), whole_tree(text));
        problems
    }

    #[test]
    fn an_element_holder_is_valid_but_for_its_element() {
        for schema in [
            Schema::CycloneDx14,
            Schema::CycloneDx15,
            Schema::CycloneDx16,
        ] {
            for array in TopArray::ALL {
                let rules = schema.array_rules(array);
                let Ok(rules) = rules else {
                    panic!("{schema:?} {array:?}: {rules:?}")
                };
                let mut holder = ElementHolder::new(rules, array);
                let validator = schema.validator().ok();
                let mut problems = Vec::new();
                if let Some(validator) = validator {
                    holder.check(validator, json!({"bom-ref": "x"}), 7, &mut problems);
                }
                assert!(!problems.is_empty(), "{schema:?} {array:?}");
                let outside: Vec<&Problem> = problems
                    .iter()
                    .filter(|p| !p.at.to_string().starts_with(&format!("/{}/7", array.key())))
                    .collect();
                assert!(outside.is_empty(), "{schema:?} {array:?}: {outside:?}");
            }
        }
    }

    #[test]
    fn streamed_validation_matches_the_whole_tree_on_the_corpus() {
        let Some(documents) = corpus_documents() else {
            return;
        };
        let (mut compared, mut with_problems) = (0, 0);
        for (name, text) in &documents {
            let Some(expected) = whole_tree(text) else {
                continue;
            };
            assert_eq!(streamed(text), expected, "{name}");
            compared += 1;
            with_problems += usize::from(!expected.is_empty());
        }
        assert!(
            compared > 150 && with_problems > 60,
            "{compared}, {with_problems}"
        );
    }

    #[test]
    fn mutated_documents_validate_as_the_whole_tree_validates() {
        let (mut compared, mut well_formed) = (0, 0);
        for seed in MUTATION_SEEDS {
            let Some(path) = keelson_testkit::corpus_path(seed) else {
                return;
            };
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for mutated in mutations(&text, 400) {
                let expected = match serde_json::from_str::<Value>(&mutated) {
                    Err(error) => vec![syntax(&error)],
                    Ok(value) if value.get("bomFormat") != Some(&json!("CycloneDX")) => continue,
                    Ok(_) => match whole_tree(&mutated) {
                        Some(problems) => problems,
                        None => continue,
                    },
                };
                assert_eq!(streamed(&mutated), expected, "{seed}: {mutated}");
                compared += 1;
                well_formed += usize::from(serde_json::from_str::<Value>(&mutated).is_ok());
            }
        }
        assert!(
            compared > 1000 && well_formed > 200,
            "{compared}, {well_formed}"
        );
    }

    #[test]
    fn a_broken_component_deep_in_the_array_is_reported_as_the_whole_tree_reports_it() {
        let text = large_document(|doc| doc["components"][DEEP_INDEX]["purl"] = json!(123));
        let problems = same_as_whole_tree(&text);
        let found: Vec<(String, &str)> = problems
            .iter()
            .map(|p| (p.at.to_string(), p.message.as_str()))
            .collect();
        let at = format!("/components/{DEEP_INDEX}/purl");
        assert_eq!(found, [(at, r#"123 is not of type "string""#)]);

        let nested_index = DEEP_INDEX - 45;
        let nested = large_document(|doc| {
            doc["components"][nested_index]["components"][0]["type"] = json!("gadget");
        });
        let problems = same_as_whole_tree(&nested);
        let at: Vec<String> = problems.iter().map(|p| p.at.to_string()).collect();
        assert_eq!(
            at,
            [format!("/components/{nested_index}/components/0/type")]
        );

        let dependency = large_document(|doc| doc["dependencies"][DEEP_INDEX]["ref"] = json!(""));
        let problems = same_as_whole_tree(&dependency);
        let at: Vec<String> = problems.iter().map(|p| p.at.to_string()).collect();
        assert_eq!(at, [format!("/dependencies/{DEEP_INDEX}/ref")]);
    }

    #[test]
    fn a_repeated_component_is_reported_as_the_whole_tree_reports_it() {
        let text = large_document(|doc| {
            doc["components"][DEEP_INDEX] = doc["components"][3].clone();
        });
        let problems = same_as_whole_tree(&text);
        let found: Vec<(String, Option<String>)> = problems
            .iter()
            .map(|p| (p.at.to_string(), p.schema_path.clone()))
            .collect();
        let path = Some("/properties/components/uniqueItems".to_string());
        assert_eq!(found, [("/components".to_string(), path)]);
        assert!(problems[0].message.starts_with(r#"[{"bom-ref":"c0","#));
    }

    #[test]
    fn problems_all_over_the_document_are_all_listed() {
        let text = large_document(|doc| {
            doc["serialNumber"] = json!("not-a-urn");
            doc["metadata"]["component"]["type"] = json!("gadget");
            doc["components"][10]["hashes"][0]["alg"] = json!("SHA-0");
            doc["components"][DEEP_INDEX]["name"] = json!(7);
            doc["dependencies"][2] = json!({"dependsOn": []});
            doc["unknown"] = json!(true);
        });
        let problems = same_as_whole_tree(&text);
        assert!(problems.len() >= 6, "{problems:?}");
    }

    #[test]
    fn problems_come_in_the_order_of_a_whole_tree_check() {
        let text = r#"{"bomFormat": "CycloneDX", "zzz": 1, "aaa": 2, "version": "x", "specVersion": "1.6",
            "components": [{"type": "x", "name": "a"}, {"name": 3}, {"name": 3}],
            "dependencies": [{}], "metadata": {"component": {"type": "y"}},
            "annotations": [1], "compositions": 3, "d~/x": 1, "d": 2, "c": 3}"#;
        let problems = same_as_whole_tree(text);
        let at: Vec<String> = problems.iter().map(|p| p.at.to_string()).collect();
        let expected = [
            "/annotations/0",
            "/components/0/type",
            "/components/1/name",
            "/components/1",
            "/components/2/name",
            "/components/2",
            "/components",
            "/compositions",
            "/dependencies/0",
            "/metadata/component/type",
            "/metadata/component",
            "/version",
            "/",
        ];
        assert_eq!(at, expected);
    }

    #[test]
    fn arrays_of_the_wrong_type_are_checked_with_the_rest() {
        for text in [
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": {"a": 1}}"#,
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "dependencies": "x"}"#,
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [], "components": [1]}"#,
        ] {
            assert!(!same_as_whole_tree(text).is_empty(), "{text}");
        }
    }
}
