//! What a release publishes agrees with the workspace: the tag the release workflow accepts is
//! `v` + the version, the docs' pre-commit `rev:` is that tag, and the pre-commit mirror pins the
//! wheel of that version and offers the same hooks as the repository.

use std::fs;
use std::path::{Path, PathBuf};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The hooks of a `.pre-commit-hooks.yaml`, without its comments.
fn hooks(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect()
}

#[test]
fn the_docs_rev_is_the_tag_of_this_version() {
    let tag = format!("v{VERSION}");
    let mut revs = 0;
    for path in ["docs/ci.md", "README.md", "pre-commit-mirror/README.md"] {
        for line in read(path).lines() {
            if let Some(rev) = line.trim().strip_prefix("rev: ") {
                assert_eq!(rev, tag, "{path}");
                revs += 1;
            }
        }
    }
    assert!(revs >= 2, "the docs show a pre-commit rev");
    // The release workflow refuses a tag that is not `v` + the workspace version.
    assert!(
        read(".github/workflows/release.yml")
            .contains(r#"if [ "v$version" != "$GITHUB_REF_NAME" ]"#)
    );
}

#[test]
fn the_pre_commit_mirror_pins_this_version_and_offers_the_same_hooks() {
    let pyproject = read("pre-commit-mirror/pyproject.toml");
    assert!(
        pyproject.contains(&format!("version = \"{VERSION}\"")),
        "{pyproject}"
    );
    assert!(
        pyproject.contains(&format!("dependencies = [\"obolint=={VERSION}\"]")),
        "{pyproject}"
    );
    assert_eq!(
        hooks(&read("pre-commit-mirror/.pre-commit-hooks.yaml")),
        hooks(&read(".pre-commit-hooks.yaml"))
    );
}

#[test]
fn the_vscode_extension_has_this_version_and_is_packaged_and_released() {
    let manifest: serde_json::Value =
        serde_json::from_str(&read("editors/vscode/package.json")).expect("package.json is JSON");
    assert_eq!(manifest["version"], VERSION, "editors/vscode/package.json");
    // The lock file pins what `npm ci` installs.
    let lock: serde_json::Value =
        serde_json::from_str(&read("editors/vscode/package-lock.json")).expect("lock is JSON");
    assert_eq!(lock["packages"][""]["version"], VERSION);
    // CI packages it (through .ci/run) and keeps the .vsix; the release attaches it.
    assert!(read(".ci/run").contains("tests/e2e/vscode.sh"));
    assert!(read(".github/workflows/ci.yml").contains("editors/vscode/obolint.vsix"));
    let release = read(".github/workflows/release.yml");
    assert!(
        release.contains("vsce package"),
        "release.yml packages the extension"
    );
    assert!(release.contains("name: vscode-extension"));
}
