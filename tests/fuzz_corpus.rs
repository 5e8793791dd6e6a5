//! Replays the fuzz corpora on stable: every file in `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` runs through the same harness function as the libFuzzer target
//! (`fuzz/harness/`), so every seed and every crash ever found stays a test.
//!
//! The corpus holds exactly the generated seeds (`fuzz/harness/seeds.rs`: real messages, bundles
//! and states of a fixed-seed conversation). After a change that alters them, regenerate with
//! `CROSSWIRE_WRITE_CORPUS=1 cargo test --test fuzz_corpus`. Crash inputs go to
//! `fuzz/regressions/<target>/`, never rewritten.
//!
//! Files named as libFuzzer names what it discovers (40 hex digits, the SHA-1 of the input) are
//! a local campaign's, not the corpus: `.gitignore` keeps them out of commits and these tests
//! skip them, so a `cargo fuzz run` that writes into `fuzz/corpus/<target>/` cannot break
//! `cargo test`.

// A test crate: its helpers fail the test with unwrap/expect/panic like the tests they serve.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../fuzz/harness/mod.rs"]
mod harness;

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, sorted, without local fuzzing discoveries; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file() && !p.ends_with(".gitkeep") && !is_local_discovery(p))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Whether libFuzzer named this file (the lower-case hex SHA-1 of its contents), the pattern
/// `.gitignore` excludes from `fuzz/corpus/`. Generated seeds have short descriptive names.
fn is_local_discovery(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.len() == 40 && n.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Files in `dir` that are not among `expected` (names), ignoring local discoveries.
fn unexpected_files(dir: &Path, expected: &BTreeSet<PathBuf>) -> Vec<String> {
    files(dir)
        .into_iter()
        .filter(|p| !expected.contains(p))
        .map(|p| format!("{} (not generated)", p.display()))
        .collect()
}

/// Issue 9 newcomer item 2: what `cargo fuzz run <target>` writes into the corpus directory (an
/// input named by its SHA-1) does not make the corpus "out of date"; any other stray file does.
#[test]
fn local_fuzzing_discoveries_are_not_stale_seeds() {
    let dir = std::env::temp_dir().join(format!("crosswire-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("seed"), b"seed").unwrap();
    let discovered = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    std::fs::write(dir.join(discovered), b"").unwrap();
    let expected: BTreeSet<PathBuf> = [dir.join("seed")].into();
    assert_eq!(unexpected_files(&dir, &expected), Vec::<String>::new());
    std::fs::write(dir.join("stray"), b"x").unwrap();
    assert_eq!(unexpected_files(&dir, &expected).len(), 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_corpus_and_regression_file_passes_its_harness() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (target, harness) in harness::TARGETS {
        for kind in ["corpus", "regressions"] {
            for path in files(&fuzz_dir().join(kind).join(target)) {
                let data = std::fs::read(&path).unwrap();
                count += 1;
                if catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err() {
                    failures.push(path.display().to_string());
                }
            }
        }
    }
    assert!(failures.is_empty(), "harness failures: {failures:#?}");
    assert!(count >= harness::TARGETS.len(), "corpus missing");
}

#[test]
fn every_corpus_directory_has_a_harness() {
    let known: BTreeSet<&str> = harness::TARGETS.iter().map(|(t, _)| *t).collect();
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                assert!(
                    known.contains(name.as_str()),
                    "fuzz/{kind}/{name} has no harness"
                );
            }
        }
    }
    for (target, _) in harness::TARGETS {
        let source = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        assert!(source.is_file(), "no fuzz target {}", source.display());
    }
}

#[test]
fn corpus_is_exactly_the_generated_seeds() {
    let write = std::env::var_os("CROSSWIRE_WRITE_CORPUS").is_some();
    let seeds = harness::seeds::all();
    let mut stale = Vec::new();
    for (target, _) in harness::TARGETS {
        let dir = fuzz_dir().join("corpus").join(target);
        let expected: Vec<_> = seeds.iter().filter(|(t, _, _)| t == target).collect();
        assert!(!expected.is_empty(), "no seeds for {target}");
        if write {
            std::fs::remove_dir_all(&dir).ok();
            std::fs::create_dir_all(&dir).unwrap();
            for (_, name, bytes) in &expected {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
        let names: BTreeSet<PathBuf> = expected.iter().map(|(_, n, _)| dir.join(n)).collect();
        stale.extend(unexpected_files(&dir, &names));
        for (_, name, bytes) in expected {
            if std::fs::read(dir.join(name)).ok().as_ref() != Some(bytes) {
                stale.push(format!("{target}/{name} (missing or different)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "fuzz/corpus is out of date with fuzz/harness/seeds.rs: {stale:#?}\n\
         regenerate with `CROSSWIRE_WRITE_CORPUS=1 cargo test --test fuzz_corpus`"
    );
}
