//! Findings in `.ipynb` notebooks, in the formats that annotate lines of the file on disk
//! (`github`, `sarif`, `junit`, `azure`, `gitlab`): the line and column are those of the notebook's JSON where the
//! flagged source text is, the message names the cell, SARIF records the cell and in-cell
//! position in `properties`, and SARIF's fixes, applied to the file's bytes, give the notebook
//! `--fix` writes. JSON keeps the cell and in-cell rows.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn obolint(cwd: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_obolint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("CI_PROJECT_DIR")
        .output()
        .expect("obolint runs");
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The example notebooks project, with its notebook's sources as Jupyter writes them (lists of
/// lines) or, with `strings`, each as one JSON string.
fn project(strings: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let example = repo().join("fixtures/example-notebooks");
    // Files only: a run on the example leaves its `.obolint_cache/` folder there.
    for entry in fs::read_dir(&example).unwrap().flatten() {
        if !entry.path().is_file() {
            continue;
        }
        fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    if strings {
        let path = dir.path().join("01_agent.ipynb");
        let mut notebook: Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        for cell in notebook["cells"].as_array_mut().unwrap() {
            let joined: String = cell["source"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            cell["source"] = Value::String(joined);
        }
        fs::write(&path, serde_json::to_string_pretty(&notebook).unwrap()).unwrap();
    }
    dir
}

/// Findings in the notebook as JSON reports them: (code, cell, the flagged text).
fn json_findings(dir: &Path) -> Vec<(String, u64, String)> {
    let findings: Vec<Value> =
        serde_json::from_str(&obolint(dir, &["check", "--output-format", "json"])).unwrap();
    let notebook: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("01_agent.ipynb")).unwrap()).unwrap();
    let cells = notebook["cells"].as_array().unwrap();
    findings
        .iter()
        .filter(|f| f["filename"] == "01_agent.ipynb")
        .map(|f| {
            let cell = f["cell"].as_u64().expect("a cell");
            let source = match &cells[cell as usize - 1]["source"] {
                Value::Array(lines) => lines.iter().map(|l| l.as_str().unwrap()).collect(),
                other => other.as_str().unwrap().to_string(),
            };
            let row = f["location"]["row"].as_u64().unwrap() as usize;
            let line = source.split('\n').nth(row - 1).unwrap();
            let column = f["location"]["column"].as_u64().unwrap() as usize;
            let text: String = line.chars().skip(column - 1).take(12).collect();
            (f["code"].as_str().unwrap().to_string(), cell, text)
        })
        .collect()
}

/// The text at 1-based `line` and character `column` of `file`.
fn at(file: &str, line: u64, column: u64) -> String {
    file.lines()
        .nth(line as usize - 1)
        .expect("the line exists")
        .chars()
        .skip(column as usize - 1)
        .collect()
}

/// `text` as it is written inside a JSON string.
fn escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap();
    quoted[1..quoted.len() - 1].to_string()
}

#[test]
fn github_junit_and_azure_point_at_the_json_line_that_holds_the_source() {
    for strings in [false, true] {
        let dir = project(strings);
        let raw = fs::read_to_string(dir.path().join("01_agent.ipynb")).unwrap();
        let expected = json_findings(dir.path());
        assert_eq!(expected.len(), 2, "{expected:?}");

        let github = obolint(dir.path(), &["check", "--output-format", "github"]);
        let lines: Vec<&str> = github
            .lines()
            .filter(|l| l.contains("file=01_agent.ipynb,"))
            .collect();
        assert_eq!(lines.len(), expected.len(), "{github}");
        let junit = obolint(dir.path(), &["check", "--output-format", "junit"]);
        let azure = obolint(dir.path(), &["check", "--output-format", "azure"]);
        let gitlab: Vec<Value> = serde_json::from_str(&obolint(
            dir.path(),
            &["check", "--output-format", "gitlab"],
        ))
        .unwrap();
        let gitlab: Vec<&Value> = gitlab
            .iter()
            .filter(|i| i["location"]["path"] == "01_agent.ipynb")
            .collect();
        assert_eq!(gitlab.len(), expected.len(), "{gitlab:?}");
        for ((line, (code, cell, text)), issue) in lines.iter().zip(&expected).zip(&gitlab) {
            let property = |name: &str| -> u64 {
                let start = line.find(&format!("{name}=")).unwrap() + name.len() + 1;
                let end = start + line[start..].find(',').unwrap();
                line[start..end].parse().unwrap()
            };
            let (row, column) = (property("line"), property("col"));
            assert!(
                at(&raw, row, column).starts_with(&escaped(text)),
                "{line}: the file has {:?} there, the cell {text:?}",
                at(&raw, row, column)
            );
            assert!(line.contains(&format!("::{code}: cell {cell}: ")), "{line}");
            assert_eq!(issue["location"]["lines"]["begin"], row, "{issue}");
            assert!(
                issue["description"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{code}: cell {cell}: ")),
                "{issue}"
            );
            assert!(
                azure.contains(&format!(
                    "sourcepath=01_agent.ipynb;linenumber={row};columnnumber={column};code={code};]cell {cell}: "
                )),
                "{azure}"
            );
            assert!(
                junit.contains(&format!(
                    "file=\"01_agent.ipynb\" line=\"{row}\">\n      <failure message=\"cell {cell}: "
                )),
                "{junit}"
            );
        }
    }
}

#[test]
fn sarif_regions_cells_and_fixes_use_the_file_bytes() {
    for strings in [false, true] {
        let dir = project(strings);
        let path = dir.path().join("01_agent.ipynb");
        let raw = fs::read_to_string(&path).unwrap();
        let expected = json_findings(dir.path());
        let sarif: Value =
            serde_json::from_str(&obolint(dir.path(), &["check", "--output-format", "sarif"]))
                .unwrap();
        let results: Vec<&Value> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with("01_agent.ipynb")
            })
            .collect();
        assert_eq!(results.len(), expected.len());
        let mut replacements = Vec::new();
        for (result, (code, cell, text)) in results.iter().zip(&expected) {
            let region = &result["locations"][0]["physicalLocation"]["region"];
            let (row, column) = (
                region["startLine"].as_u64().unwrap(),
                region["startColumn"].as_u64().unwrap(),
            );
            assert!(
                at(&raw, row, column).starts_with(&escaped(text)),
                "{result}"
            );
            assert_eq!(result["ruleId"], code.as_str());
            assert_eq!(result["properties"]["cell"], *cell);
            assert!(result["properties"]["cellRow"].as_u64().is_some());
            assert!(
                result["message"]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("cell {cell}: "))
            );
            for change in result["fixes"][0]["artifactChanges"]
                .as_array()
                .into_iter()
                .flatten()
            {
                replacements.extend(change["replacements"].as_array().unwrap().iter().cloned());
            }
        }
        assert!(
            !replacements.is_empty(),
            "the example has a fix in the notebook"
        );

        // The replacements, applied to the file's bytes, give what `--fix --unsafe-fixes` writes
        // (the same cell sources; the layout of a list of lines may differ).
        let offset = |line: u64, column: u64| -> usize {
            let start: usize = raw
                .split_inclusive('\n')
                .take(line as usize - 1)
                .map(str::len)
                .sum();
            start
                + raw[start..]
                    .chars()
                    .take(column as usize - 1)
                    .map(char::len_utf8)
                    .sum::<usize>()
        };
        let mut edits: Vec<(usize, usize, String)> = replacements
            .iter()
            .map(|r| {
                let d = &r["deletedRegion"];
                (
                    offset(
                        d["startLine"].as_u64().unwrap(),
                        d["startColumn"].as_u64().unwrap(),
                    ),
                    offset(
                        d["endLine"].as_u64().unwrap(),
                        d["endColumn"].as_u64().unwrap(),
                    ),
                    r["insertedContent"]["text"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        edits.sort();
        let mut patched = raw.clone();
        for (start, end, text) in edits.iter().rev() {
            patched.replace_range(start..end, text);
        }
        obolint(
            dir.path(),
            &["check", "--fix", "--unsafe-fixes", "01_agent.ipynb"],
        );
        let sources = |text: &str| -> Vec<String> {
            let notebook: Value = serde_json::from_str(text).expect("valid notebook JSON");
            notebook["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| match &c["source"] {
                    Value::Array(lines) => lines.iter().map(|l| l.as_str().unwrap()).collect(),
                    other => other.as_str().unwrap().to_string(),
                })
                .collect()
        };
        assert_eq!(
            sources(&patched),
            sources(&fs::read_to_string(&path).unwrap())
        );
    }
}
