//! The documentation is for users: every relative link in `README.md` and `docs/` reaches a file
//! of the repository, every address of a repository page (in the docs and in the messages the
//! code prints) names a file that exists, and nothing names the project's internal notes, which
//! users do not have.

use std::fs;
use std::path::{Path, PathBuf};

/// The repository's address, as the docs and `obolint_diagnostics::render::DOCS_URL` write it.
const REPO_BLOB: &str = "https://github.com/obolint/obolint/blob/main/";

/// Names of files that live outside the repository (the team's specification and research notes).
/// (The first is spelt in two pieces so that this test does not name the folder itself.)
const OUTSIDE: &[&str] = &[
    concat!("../", "shared"),
    "cli.md",
    "rules.md",
    "obo-facts",
    "style.md",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

fn files_under(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

/// The user documentation: the README and every page under `docs/`.
fn user_docs() -> Vec<PathBuf> {
    let root = repo();
    let mut docs = vec![root.join("README.md")];
    files_under(&root.join("docs"), "md", &mut docs);
    docs.sort();
    docs
}

/// The targets of inline links (`[text](target)`) and link definitions (`[name]: target`).
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].split_whitespace().next().unwrap_or("");
            targets.push(target.to_string());
            rest = &after[end..];
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('[')
            && let Some(at) = trimmed.find("]: ")
        {
            targets.push(trimmed[at + 3..].trim().to_string());
        }
    }
    targets
}

fn without_anchor(target: &str) -> &str {
    target.split('#').next().unwrap_or("")
}

/// Addresses of repository files (`https://github.com/obolint/obolint/blob/main/PATH`) in `text`.
fn repository_addresses(text: &str) -> Vec<String> {
    text.match_indices(REPO_BLOB)
        .map(|(at, _)| {
            let rest = &text[at + REPO_BLOB.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || "()<>`\"'{}".contains(c))
                .unwrap_or(rest.len());
            without_anchor(&rest[..end])
                .trim_end_matches(['.', ',', ';', ':'])
                .to_string()
        })
        .collect()
}

#[test]
fn relative_links_in_the_docs_reach_files_of_the_repository() {
    let root = repo();
    let mut dead = Vec::new();
    let mut checked = 0;
    for doc in user_docs() {
        let text = fs::read_to_string(&doc).expect("doc reads");
        for target in link_targets(&text) {
            if target.is_empty()
                || target.starts_with('#')
                || target.contains("://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let path = doc.parent().unwrap().join(without_anchor(&target));
            let inside = path
                .canonicalize()
                .is_ok_and(|real| real.starts_with(&root));
            if !inside {
                dead.push(format!(
                    "{}: {target}",
                    doc.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(checked > 10, "the link reader found only {checked} links");
    assert!(
        dead.is_empty(),
        "dead or outside links:\n{}",
        dead.join("\n")
    );
}

#[test]
fn repository_addresses_name_files_that_exist() {
    let root = repo();
    let mut texts = user_docs();
    for krate in fs::read_dir(root.join("crates")).unwrap().flatten() {
        files_under(&krate.path().join("src"), "rs", &mut texts);
    }
    let mut dead = Vec::new();
    for file in texts {
        let text = fs::read_to_string(&file).unwrap();
        for path in repository_addresses(&text) {
            // `DOCS_BASE_URL` is completed with a rule's code at run time.
            if path == "docs/rules" || path == "docs" {
                continue;
            }
            if !root.join(&path).exists() {
                dead.push(format!(
                    "{}: {REPO_BLOB}{path}",
                    file.strip_prefix(&root).unwrap().display()
                ));
            }
        }
        // Pages named through `docs_url("page")`.
        for (at, _) in text.match_indices("docs_url(\"") {
            let rest = &text[at + "docs_url(\"".len()..];
            let page = without_anchor(&rest[..rest.find('"').unwrap()]);
            if !root.join("docs").join(page).exists() {
                dead.push(format!(
                    "{}: docs_url(\"{page}\")",
                    file.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        dead.is_empty(),
        "addresses of missing pages:\n{}",
        dead.join("\n")
    );
}

#[test]
fn docs_and_messages_name_no_file_outside_the_repository() {
    let root = repo();
    let mut found = Vec::new();
    for doc in user_docs() {
        let text = fs::read_to_string(&doc).unwrap();
        for (n, line) in text.lines().enumerate() {
            if OUTSIDE.iter().any(|name| line.contains(name)) {
                found.push(format!(
                    "{}:{}: {line}",
                    doc.strip_prefix(&root).unwrap().display(),
                    n + 1
                ));
            }
        }
    }
    // Messages: any line of the sources that is not a comment (comments may cite the notes
    // the team works from; what users read may not).
    let mut sources = Vec::new();
    for krate in fs::read_dir(root.join("crates")).unwrap().flatten() {
        files_under(&krate.path().join("src"), "rs", &mut sources);
    }
    for file in sources {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if OUTSIDE.iter().any(|name| line.contains(name)) {
                found.push(format!(
                    "{}:{}: {line}",
                    file.strip_prefix(&root).unwrap().display(),
                    n + 1
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "names of files users do not have:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_link_reader_reads_links() {
    let md =
        "See [usage](docs/usage.md#fixes) and [x][y].\n\n[y]: ci.md\n```\n[no](code.md)\n```\n";
    assert_eq!(link_targets(md), ["docs/usage.md#fixes", "ci.md"]);
    assert_eq!(
        repository_addresses(&format!("at {REPO_BLOB}docs/scopes.md#families, or")),
        ["docs/scopes.md"]
    );
}
