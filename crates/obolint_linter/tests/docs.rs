//! The checked-in documentation is generated from the rule registry; this test fails when it
//! drifts. `OBOLINT_UPDATE_DOCS=1 cargo test -p obolint_linter --test docs` rewrites it.

use std::fs;
use std::path::{Path, PathBuf};

use obolint_linter::Rule;
use obolint_linter::config::options::options_markdown;
use obolint_linter::docs::{rule_markdown, scopes_markdown, with_rules_table};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn update() -> bool {
    std::env::var_os("OBOLINT_UPDATE_DOCS").is_some()
}

fn compare(path: &Path, expected: &str, stale: &mut Vec<String>) {
    let actual = fs::read_to_string(path).unwrap_or_default();
    if actual != expected {
        if update() {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, expected).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
}

#[test]
fn docs_match_the_registry() {
    let mut stale = Vec::new();
    let docs = repo().join("docs/rules");
    for &rule in Rule::ALL {
        compare(
            &docs.join(format!("{}.md", rule.code())),
            &rule_markdown(rule),
            &mut stale,
        );
    }
    // No page for a rule that no longer exists.
    if let Ok(entries) = fs::read_dir(&docs) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let known = Rule::ALL.iter().any(|r| format!("{}.md", r.code()) == name);
            if !known {
                if update() {
                    fs::remove_file(entry.path()).unwrap();
                } else {
                    stale.push(entry.path().display().to_string());
                }
            }
        }
    }
    compare(
        &repo().join("docs/scopes.md"),
        &scopes_markdown(),
        &mut stale,
    );
    compare(
        &repo().join("docs/settings.md"),
        &options_markdown(),
        &mut stale,
    );
    let readme_path = repo().join("README.md");
    let readme = fs::read_to_string(&readme_path).unwrap();
    let expected = with_rules_table(&readme).expect("README.md has the rules markers");
    compare(&readme_path, &expected, &mut stale);
    assert!(
        stale.is_empty(),
        "generated docs are stale: {stale:?}\nrun: OBOLINT_UPDATE_DOCS=1 cargo test -p obolint_linter --test docs"
    );
}
