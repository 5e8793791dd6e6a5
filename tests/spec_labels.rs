//! Every domain-separation label in the source is listed in SPEC.md section 3, and every label
//! listed there is used: a re-implementer reads the labels from the table, so a label added to
//! the code and not to the table would be a silent interoperability gap.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const PREFIX: &str = "crosswire/v1/";

/// Labels: `crosswire/v1/` followed by lowercase letters, digits and dashes.
fn labels_in(text: &str, out: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(i) = rest.find(PREFIX) {
        let tail = &rest[i + PREFIX.len()..];
        let len = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .unwrap_or(tail.len());
        if len > 0 {
            out.insert(format!("{PREFIX}{}", &tail[..len]));
        }
        rest = &tail[len..];
    }
}

fn source_labels(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_labels(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).unwrap();
            // Only byte-string literals are labels fed to a KDF or a signature.
            for piece in text.split("b\"").skip(1) {
                labels_in(piece.split('"').next().unwrap_or(""), out);
            }
        }
    }
}

#[test]
fn every_label_is_in_the_spec_table_and_every_listed_label_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut in_source = BTreeSet::new();
    source_labels(&root.join("src"), &mut in_source);
    assert!(in_source.len() >= 10, "found too few labels: {in_source:?}");

    let spec = fs::read_to_string(root.join("SPEC.md")).unwrap();
    let start = spec.find("\n## 3. ").expect("section 3");
    let end = start + spec[start..].find("\n## 4. ").expect("section 4");
    let mut in_table = BTreeSet::new();
    for line in spec[start..end].lines() {
        if let Some(cell) = line.strip_prefix("| `") {
            labels_in(cell.split('`').next().unwrap_or(""), &mut in_table);
        }
    }
    assert_eq!(in_source, in_table, "source labels vs SPEC.md section 3");
}
