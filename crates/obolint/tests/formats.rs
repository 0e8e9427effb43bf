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
        .env_remove("CI_PROJECT_DIR")
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

/// GitLab's Code Quality report format, as its documentation gives it
/// (docs.gitlab.com/ci/testing/code_quality, "Code Quality report format"): a JSON array of
/// issues, each with a `description`, a `check_name`, a unique `fingerprint`, a `severity` from
/// GitLab's scale, and a `location` whose `path` is relative to the repository (no `./`) and
/// whose `lines.begin` is the line. Other Code Climate fields are allowed.
const GITLAB_SCHEMA: &str = r#"{
  "type": "array",
  "items": {
    "type": "object",
    "required": ["description", "check_name", "fingerprint", "severity", "location"],
    "properties": {
      "description": { "type": "string", "minLength": 1 },
      "check_name": { "type": "string", "minLength": 1 },
      "fingerprint": { "type": "string", "minLength": 1 },
      "severity": { "type": "string", "enum": ["info", "minor", "major", "critical", "blocker"] },
      "type": { "type": "string", "enum": ["issue"] },
      "categories": { "type": "array", "items": { "type": "string" } },
      "location": {
        "type": "object",
        "required": ["path", "lines"],
        "properties": {
          "path": { "type": "string", "minLength": 1, "not_prefix": "./" },
          "lines": {
            "type": "object",
            "required": ["begin"],
            "properties": {
              "begin": { "type": "integer", "minimum": 1 },
              "end": { "type": "integer", "minimum": 1 }
            }
          }
        }
      }
    }
  }
}"#;

/// The JSON Schema keywords `GITLAB_SCHEMA` uses (`type`, `required`, `properties`, `items`,
/// `enum`, `minLength`, `minimum`), plus `not_prefix` for GitLab's "do not prefix with `./`".
/// Returns what does not hold, with where.
fn schema_errors(schema: &serde_json::Value, value: &serde_json::Value, at: &str) -> Vec<String> {
    use serde_json::Value;
    let mut errors = Vec::new();
    let type_ok = match schema["type"].as_str() {
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_u64() || value.is_i64(),
        _ => true,
    };
    if !type_ok {
        return vec![format!("{at}: not of type {}", schema["type"])];
    }
    if let Some(required) = schema["required"].as_array() {
        for key in required.iter().filter_map(Value::as_str) {
            if value.get(key).is_none() {
                errors.push(format!("{at}: `{key}` is missing"));
            }
        }
    }
    if let (Some(properties), Some(object)) = (schema["properties"].as_object(), value.as_object())
    {
        for (key, inner) in properties {
            if let Some(v) = object.get(key) {
                errors.extend(schema_errors(inner, v, &format!("{at}.{key}")));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            errors.extend(schema_errors(items, v, &format!("{at}[{i}]")));
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(min), Some(text)) = (schema["minLength"].as_u64(), value.as_str())
        && (text.chars().count() as u64) < min
    {
        errors.push(format!("{at}: shorter than {min}"));
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_u64(), value.as_u64())
        && n < min
    {
        errors.push(format!("{at}: below {min}"));
    }
    if let (Some(prefix), Some(text)) = (schema["not_prefix"].as_str(), value.as_str())
        && text.starts_with(prefix)
    {
        errors.push(format!("{at}: starts with {prefix:?}"));
    }
    errors
}

#[test]
fn gitlab() {
    let text = render("gitlab");
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let schema: serde_json::Value = serde_json::from_str(GITLAB_SCHEMA).expect("the schema");
    let errors = schema_errors(&schema, &report, "report");
    assert!(errors.is_empty(), "{errors:#?}");
    let issues = report.as_array().unwrap();
    assert!(!issues.is_empty());
    // GitLab keeps one issue per fingerprint.
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), issues.len());
    assert_eq!(
        issues[0]["location"]["path"],
        "fixtures/example-agent/sales_agent/agent.py"
    );
    // The validator catches what GitLab rejects.
    let bad = serde_json::json!([{"description": "x", "check_name": "OBO101", "fingerprint": "f",
        "severity": "error", "location": {"path": "./a.py", "lines": {"begin": 0}}}]);
    assert_eq!(schema_errors(&schema, &bad, "report").len(), 3);
    assert_eq!(text, render("gitlab"), "stable across runs");
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
