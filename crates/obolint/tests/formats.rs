//! Every output format on the bundled example project, snapshotted.

use std::path::Path;
use std::process::Command;

fn render(format: &str) -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args([
            "check",
            "--color",
            "never",
            "--output-format",
            format,
            "fixtures/example-agent",
        ])
        .current_dir(repo)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("obolint runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn full() {
    insta::assert_snapshot!(render("full"));
}

#[test]
fn concise() {
    insta::assert_snapshot!(render("concise"));
}

#[test]
fn json() {
    insta::assert_snapshot!(render("json"));
}

#[test]
fn json_lines() {
    let text = render("json-lines");
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON");
    }
    insta::assert_snapshot!(text);
}

#[test]
fn github() {
    insta::assert_snapshot!(render("github"));
}

#[test]
fn junit() {
    insta::assert_snapshot!(render("junit"));
}

#[test]
fn azure() {
    insta::assert_snapshot!(render("azure"));
}

#[test]
fn sarif() {
    let text = render("sarif");
    let log: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "obolint");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(
        rules
            .iter()
            .all(|r| r["helpUri"].as_str().is_some_and(|u| u.ends_with(".md")))
    );
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "OBO101");
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "OBO101"
    );
    assert!(result["partialFingerprints"]["obolintFindingHash/v1"].is_string());
    assert_eq!(
        run["results"][1]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        ", client=user"
    );
    // Stable across runs.
    assert_eq!(text, render("sarif"));
    insta::assert_snapshot!(text);
}

/// The README shows real output: the example under "$ obolint check fixtures/example-agent" is
/// exactly what obolint prints.
#[test]
fn readme_example_is_current() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("README");
    let marker = "$ obolint check fixtures/example-agent\n";
    let start = readme
        .find(marker)
        .expect("the README shows the example run")
        + marker.len();
    let end = start + readme[start..].find("```").expect("the example block ends");
    assert_eq!(
        &readme[start..end],
        render("full"),
        "update the example output in README.md"
    );
}
