//! The samples in `../shared/testdata/xdatenfelder` (from the EUPL-licensed
//! `flxbe/xdatenfelder-xml`): the valid ones import into forms that load, each broken
//! one is refused with a message naming the problem and its element. Where the folder
//! is absent (a machine without the shared test data) the tests say SKIPPED.

use std::path::PathBuf;

use super::*;

fn sample(name: &str) -> Option<String> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/xdatenfelder");
    if !dir.is_dir() {
        eprintln!("SKIPPED: {} is absent", dir.display());
        return None;
    }
    Some(std::fs::read_to_string(dir.join(name)).expect("the sample exists"))
}

fn imported(name: &str) -> Option<Imported> {
    let xml = sample(name)?;
    Some(import(&xml).unwrap_or_else(|m| panic!("{name}: {m:?}")))
}

fn refused(name: &str) -> Option<Vec<String>> {
    let xml = sample(name)?;
    let mistakes = import(&xml).expect_err(name);
    Some(mistakes.iter().map(ToString::to_string).collect())
}

fn fields(form: &Form) -> Vec<&Field> {
    form.definition
        .steps
        .iter()
        .flat_map(|s| s.items.iter())
        .filter_map(|i| match i {
            Item::Field(f) => Some(f.as_ref()),
            Item::Info { .. } => None,
        })
        .collect()
}

#[test]
fn every_valid_sample_imports_into_a_form_that_loads() {
    let valid = [
        "v2/minimal.xml",
        "v2/simple.xml",
        "v2/label.xml",
        "v2/select.xml",
        "v2/rule.xml",
        "v2/data-field-rule.xml",
        "v2/data-group-rule.xml",
        "v3/simple.xml",
        "v3/input.xml",
    ];
    for name in valid {
        let Some(done) = imported(name) else { return };
        assert!(!done.form.definition.steps.is_empty(), "{name}");
    }
}

#[test]
fn a_version_2_schema_becomes_steps_with_typed_fields_and_notes_for_its_rules() {
    let Some(done) = imported("v2/simple.xml") else {
        return;
    };
    let definition = &done.form.definition;
    assert_eq!(definition.id, "t1234");
    assert_eq!(definition.steps.len(), 1);
    assert_eq!(definition.steps[0].title.get("de"), "Natürliche Person");
    let name = fields(&done.form)[0];
    assert_eq!(name.id, "familienname");
    assert_eq!(name.kind, Kind::Text);
    assert_eq!(name.required, Required::Always(true));
    assert_eq!((name.min_length, name.max_length), (Some(1), Some(120)));
    assert_eq!(name.help.as_ref().unwrap().get("de"), "Hilfe Eingabe");
    assert!(
        done.notes
            .iter()
            .any(|n| n.contains("R60000037") && n.contains("MindestEineAngabe")),
        "{:?}",
        done.notes
    );
}

#[test]
fn labels_become_information_and_referenced_code_lists_are_named() {
    let Some(label) = imported("v2/label.xml") else {
        return;
    };
    let texts: Vec<&str> = label.form.definition.steps[0]
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Info { text, .. } => Some(text.get("de")),
            Item::Field(_) => None,
        })
        .collect();
    assert_eq!(texts, ["Hinweis Inhalt"]);

    let Some(select) = imported("v2/select.xml") else {
        return;
    };
    assert_eq!(fields(&select.form)[0].kind, Kind::Text);
    assert!(
        select
            .notes
            .iter()
            .any(|n| n.contains("C123 (urn:de:example)")),
        "{:?}",
        select.notes
    );

    let Some(minimal) = imported("v2/minimal.xml") else {
        return;
    };
    assert!(
        minimal
            .notes
            .iter()
            .any(|n| n.contains("keine Datenfelder"))
    );
}

#[test]
fn a_version_3_group_keeps_its_structure() {
    let Some(done) = imported("v3/simple.xml") else {
        return;
    };
    let definition = &done.form.definition;
    assert_eq!(definition.id, "g60000000088");
    assert_eq!(definition.title.get("de"), "Anschrift in Deutschland");
    let all = fields(&done.form);
    let street = all
        .iter()
        .find(|f| f.id == "strasse")
        .expect("a field Straße");
    assert_eq!(street.max_length, Some(55));
    assert!(!done.notes.is_empty(), "its rule R60000000019 is named");
    assert!(done.notes.iter().any(|n| n.contains("R60000000019")));
}

#[test]
fn broken_files_are_refused_with_the_problem_and_its_element() {
    let cases = [
        (
            "v2/duplicate-optional-value.xml",
            "<beschreibung> may appear once in <stammdatenschema>",
        ),
        (
            "v2/duplicate-required-value.xml",
            "<name> may appear once in <stammdatenschema>",
        ),
        ("v2/unknown-namespace.xml", "is not XDatenfelder 2"),
        ("v3/unknown-namespace.xml", "is not XDatenfelder 2"),
        (
            "v3/duplicate-id-node.xml",
            "<id> may appear once in <identifikation>",
        ),
        ("v3/empty-id-node.xml", "<id> is empty"),
        ("v3/missing-id-node.xml", "<identifikation> has no <id>"),
        (
            "v3/invalid-freigabestatus.xml",
            "'10' is not a release status",
        ),
        (
            "v3/unexpected-node.xml",
            "unexpected element <unknown> in <identifikation>",
        ),
    ];
    for (name, expected) in cases {
        let Some(lines) = refused(name) else { return };
        assert!(
            lines
                .iter()
                .any(|l| l.contains(expected) && l.starts_with("line ")),
            "{name}: {lines:?}"
        );
    }
}

#[test]
fn damaged_documents_are_refused_not_panicked_on() {
    let Some(xml) = sample("v3/simple.xml") else {
        return;
    };
    for cut in [0, 10, 100, xml.len() / 2, xml.len() - 20] {
        let mistakes = import(&xml[..cut]).expect_err("cut");
        assert!(!mistakes.is_empty());
    }
    let undeclared = "<x:a xmlns:y=\"urn:y\"><x:b/></x:a>";
    assert!(import(undeclared).is_err());
    let deep = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
    let refused = import(&deep).expect_err("too deep");
    assert!(refused[0].message.contains("nested deeper"), "{refused:?}");
}

#[test]
fn names_become_readable_ids() {
    assert_eq!(slug("Straße"), "strasse");
    assert_eq!(
        slug("Natürliche Person (abstrakt)"),
        "natuerliche_person_abstrakt"
    );
    assert_eq!(slug("1. Angabe"), "f_1_angabe");
    assert_eq!(slug("!!"), "feld");
    assert_eq!(cardinality("0:*"), (0, None));
    assert_eq!(cardinality("1:1"), (1, Some(1)));
}
