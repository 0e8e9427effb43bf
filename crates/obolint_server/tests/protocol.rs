//! The server over an in-memory connection, driven the way an editor drives it: initialize, open
//! and edit buffers, pull and push diagnostics, code actions, hover, configuration errors,
//! notebooks. The fixture is a copy of `fixtures/example-agent` (OBO101 in `agent.py`, through
//! `caller_client()` of `clients.py`, and OBO201).

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Client {
    connection: Connection,
    server: Option<JoinHandle<bool>>,
    next_id: i32,
    /// Notifications received while waiting for something else.
    inbox: Vec<Notification>,
    /// Requests from the server (registrations, refreshes), by method.
    server_requests: Vec<String>,
}

impl Client {
    fn start(capabilities: Value) -> (Client, Value) {
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || obolint_server::run(&server_side));
        let mut client = Client {
            connection: client_side,
            server: Some(server),
            next_id: 0,
            inbox: Vec::new(),
            server_requests: Vec::new(),
        };
        let result = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": capabilities }),
        );
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn notify(&self, method: &str, params: Value) {
        self.connection
            .sender
            .send(Notification::new(method.to_string(), params).into())
            .unwrap();
    }

    fn send_request(&mut self, method: &str, params: Value) -> RequestId {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.connection
            .sender
            .send(Request::new(id.clone(), method.to_string(), params).into())
            .unwrap();
        id
    }

    fn response(&mut self, id: &RequestId) -> Response {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.connection.receiver.recv_timeout(left) {
                Ok(Message::Response(response)) if &response.id == id => return response,
                Ok(Message::Notification(n)) => self.inbox.push(n),
                Ok(Message::Request(r)) => self.server_requests.push(r.method),
                Ok(_) => {}
                Err(_) => panic!("no response to request {id}"),
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        let response = self.response(&id);
        match response.response_result {
            Ok(result) => result,
            Err(error) => panic!("{method}: {error:?}"),
        }
    }

    /// The next notification `method` whose params satisfy `matches`.
    fn notification(&mut self, method: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self
            .inbox
            .iter()
            .position(|n| n.method == method && matches(&n.params))
        {
            return self.inbox.remove(at).params;
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.connection.receiver.recv_timeout(left) {
                Ok(Message::Notification(n)) if n.method == method && matches(&n.params) => {
                    return n.params;
                }
                Ok(Message::Notification(n)) => self.inbox.push(n),
                Ok(Message::Request(r)) => self.server_requests.push(r.method),
                Ok(_) => {}
                Err(_) => panic!("no {method} notification came"),
            }
        }
    }

    /// Waits for the server to send a request `method`.
    fn server_request(&mut self, method: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.server_requests.iter().any(|m| m == method) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.connection.receiver.recv_timeout(left) {
                Ok(Message::Request(r)) => self.server_requests.push(r.method),
                Ok(Message::Notification(n)) => self.inbox.push(n),
                Ok(_) => {}
                Err(_) => panic!("the server sent no {method} request"),
            }
        }
    }

    fn published(&mut self, uri: &str, matches: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let params = self.notification("textDocument/publishDiagnostics", |p| {
            p["uri"] == uri && matches(p["diagnostics"].as_array().map_or(&[], |a| a))
        });
        params["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn pull(&mut self, uri: &str) -> Vec<Value> {
        let report = self.request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": uri } }),
        );
        assert_eq!(report["kind"], "full");
        report["items"].as_array().cloned().unwrap_or_default()
    }

    fn open(&self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "python", "version": 1, "text": text } }),
        );
    }

    fn change(&self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
        );
    }

    fn shutdown(mut self) -> bool {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.server.take().unwrap().join().unwrap()
    }
}

const PULL: &str = r#"{ "textDocument": { "diagnostic": { "dynamicRegistration": false } } }"#;

fn pull_client() -> Client {
    Client::start(serde_json::from_str(PULL).unwrap()).0
}

/// A copy of the example agent project; the folder is removed when the value drops.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/example-agent");
        copy_dir(&source, dir.path());
        Self { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().canonicalize().unwrap().join(relative)
    }

    fn uri(&self, relative: &str) -> String {
        format!("file://{}", self.path(relative).display())
    }

    fn text(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        // A run of obolint on the repository's fixtures leaves its cache there: not a fixture.
        if entry.file_name() == ".obolint_cache" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn codes(items: &[Value]) -> Vec<String> {
    let mut codes: Vec<String> = items
        .iter()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect();
    codes.sort();
    codes
}

/// Applies LSP text edits (UTF-16 positions, ASCII text here) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |position: &Value| -> usize {
        let line = position["line"].as_u64().unwrap() as usize;
        let character = position["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + character
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end.min(out.len()), &new);
    }
    out
}

#[test]
fn initialize_advertises_what_the_client_supports() {
    let (client, result) = Client::start(json!({
        "general": { "positionEncodings": ["utf-16", "utf-8"] },
        "textDocument": { "diagnostic": {} }
    }));
    let capabilities = &result["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-8");
    assert_eq!(capabilities["textDocumentSync"]["change"], 2);
    assert_eq!(
        capabilities["diagnosticProvider"]["interFileDependencies"],
        true
    );
    assert_eq!(
        capabilities["diagnosticProvider"]["workspaceDiagnostics"],
        true
    );
    assert_eq!(capabilities["hoverProvider"], true);
    assert!(
        capabilities["codeActionProvider"]["codeActionKinds"]
            .as_array()
            .unwrap()
            .contains(&json!("source.fixAll.obolint"))
    );
    assert_eq!(
        capabilities["notebookDocumentSync"]["notebookSelector"][0]["cells"][0]["language"],
        "python"
    );
    assert!(client.shutdown());

    let (client, result) = Client::start(json!({}));
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert!(result["capabilities"].get("diagnosticProvider").is_none());
    assert!(client.shutdown());
}

#[test]
fn pulled_diagnostics_link_to_the_rule_docs() {
    let project = Project::new();
    let mut client = pull_client();
    let agent = project.uri("sales_agent/agent.py");
    client.open(&agent, &project.text("sales_agent/agent.py"));
    let items = client.pull(&agent);
    assert_eq!(codes(&items), ["OBO101", "OBO201"]);
    let obo101 = items.iter().find(|d| d["code"] == "OBO101").unwrap();
    assert_eq!(obo101["source"], "obolint");
    assert_eq!(obo101["severity"], 1);
    assert_eq!(
        obo101["range"],
        json!({ "start": { "line": 14, "character": 27 }, "end": { "line": 14, "character": 40 } })
    );
    assert!(
        obo101["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/docs/rules/OBO101.md")
    );
    // The other end of the finding, in `clients.py`.
    assert!(
        obo101["relatedInformation"][0]["location"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("sales_agent/clients.py")
    );

    // The same result again is "unchanged".
    let result_id = client.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": agent } }),
    )["resultId"]
        .clone();
    let again = client.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": agent }, "previousResultId": result_id }),
    );
    assert_eq!(again["kind"], "unchanged");

    let workspace = client.request("workspace/diagnostic", json!({ "previousResultIds": [] }));
    let reported: Vec<&str> = workspace["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["items"].as_array().unwrap().is_empty())
        .map(|i| i["uri"].as_str().unwrap())
        .collect();
    assert_eq!(reported, [agent.as_str()]);
    assert!(client.shutdown());
}

#[test]
fn pushed_diagnostics_follow_incremental_edits() {
    let project = Project::new();
    let (mut client, _) = Client::start(json!({}));
    let agent = project.uri("sales_agent/agent.py");
    client.open(&agent, &project.text("sales_agent/agent.py"));
    let items = client.published(&agent, |d| !d.is_empty());
    assert_eq!(codes(&items), ["OBO101", "OBO201"]);

    // Line 15 (0-based 14): `        self.user_client = caller_client()` becomes a comment.
    client.change(
        &agent,
        2,
        json!([{ "range": { "start": { "line": 14, "character": 8 }, "end": { "line": 14, "character": 8 } }, "text": "# " }]),
    );
    let items = client.published(&agent, |d| d.len() == 1);
    assert_eq!(codes(&items), ["OBO201"]);
    assert!(client.shutdown());
}

#[test]
fn an_unsaved_edit_in_one_file_updates_the_findings_of_another() {
    let project = Project::new();
    let (mut client, _) = Client::start(json!({}));
    let agent = project.uri("sales_agent/agent.py");
    let clients = project.uri("sales_agent/clients.py");
    client.open(&agent, &project.text("sales_agent/agent.py"));
    client.open(&clients, &project.text("sales_agent/clients.py"));
    let items = client.published(&agent, |d| !d.is_empty());
    assert!(codes(&items).contains(&"OBO101".to_string()));

    // `caller_client()` stops building a user client: `agent.py` no longer builds one at load
    // time. Nothing is saved.
    let text = project.text("sales_agent/clients.py").replace(
        "WorkspaceClient(credentials_strategy=ModelServingUserCredentials())",
        "WorkspaceClient()",
    );
    client.change(&clients, 2, json!([{ "text": text }]));
    client.published(&agent, |d| !d.iter().any(|x| x["code"] == "OBO101"));

    // And back.
    client.change(
        &clients,
        3,
        json!([{ "text": project.text("sales_agent/clients.py") }]),
    );
    client.published(&agent, |d| d.iter().any(|x| x["code"] == "OBO101"));
    assert!(client.shutdown());
}

#[test]
fn the_agent_and_the_script_that_logs_it_update_each_other_unsaved() {
    let project = Project::new();
    let (mut client, _) = Client::start(json!({}));
    let agent = project.uri("sales_agent/agent.py");
    let clients = project.uri("sales_agent/clients.py");
    let log = project.uri("log_model.py");
    client.open(&agent, &project.text("sales_agent/agent.py"));
    client.open(&clients, &project.text("sales_agent/clients.py"));
    client.open(&log, &project.text("log_model.py"));
    client.published(&agent, |d| d.len() == 2);

    // The agent's code stops building a user client: the script that logs it declares user
    // scopes for nothing (OBO305).
    let plain = project.text("sales_agent/clients.py").replace(
        "WorkspaceClient(credentials_strategy=ModelServingUserCredentials())",
        "WorkspaceClient()",
    );
    client.change(&clients, 2, json!([{ "text": plain }]));
    let items = client.published(&log, |d| !d.is_empty());
    assert_eq!(codes(&items), ["OBO305"]);

    // And back: the script drops its user policy, so the model no longer acts as its users and
    // the agent's Genie finding (OBO201) goes; the script's own finding is cleared.
    let without_policy: String = project
        .text("log_model.py")
        .lines()
        .filter(|l| !l.contains("user_auth_policy="))
        .map(|l| format!("{l}\n"))
        .collect();
    client.change(&log, 2, json!([{ "text": without_policy }]));
    client.published(&agent, <[Value]>::is_empty);
    client.published(&log, <[Value]>::is_empty);
    assert!(client.shutdown());
}

#[test]
fn a_change_on_disk_to_a_file_not_open_is_picked_up() {
    let project = Project::new();
    let mut client = pull_client();
    let agent = project.uri("sales_agent/agent.py");
    client.open(&agent, &project.text("sales_agent/agent.py"));
    assert_eq!(codes(&client.pull(&agent)), ["OBO101", "OBO201"]);
    let text = project.text("sales_agent/clients.py").replace(
        "WorkspaceClient(credentials_strategy=ModelServingUserCredentials())",
        "WorkspaceClient()",
    );
    std::fs::write(project.path("sales_agent/clients.py"), text).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": project.uri("sales_agent/clients.py"), "type": 2 }] }),
    );
    assert!(!codes(&client.pull(&agent)).contains(&"OBO101".to_string()));
    assert!(client.shutdown());
}

#[test]
fn many_queued_edits_cost_one_answer_with_the_last_text() {
    let project = Project::new();
    let mut client = pull_client();
    let agent = project.uri("sales_agent/agent.py");
    let original = project.text("sales_agent/agent.py");
    client.open(&agent, &original);
    for version in 2..60 {
        let text = if version % 2 == 0 {
            original.replace("self.user_client = caller_client()", "pass")
        } else {
            original.clone()
        };
        client.change(&agent, version, json!([{ "text": text }]));
    }
    // Version 59 is the original text.
    assert_eq!(codes(&client.pull(&agent)), ["OBO101", "OBO201"]);
    assert!(client.shutdown());
}

#[test]
fn code_actions_fix_suppress_and_fix_all() {
    let project = Project::new();
    let mut client = pull_client();
    let agent = project.uri("sales_agent/agent.py");
    let text = project.text("sales_agent/agent.py");
    client.open(&agent, &text);
    client.pull(&agent);
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": agent },
            "range": { "start": { "line": 19, "character": 0 }, "end": { "line": 19, "character": 0 } },
            "context": { "diagnostics": [] }
        }),
    );
    let actions = actions.as_array().unwrap();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Suppress OBO201 on this line"),
        "{titles:?}"
    );
    // OBO201's fix is unsafe: offered, labelled, not preferred, and not part of fix-all.
    let fix = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Pass `client=user`")
        })
        .unwrap();
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], false);
    assert!(fix["title"].as_str().unwrap().contains("unsafe"));
    let fixed = apply(&text, fix["edit"]["changes"][&agent].as_array().unwrap());
    assert!(fixed.contains("genie_agent_name=\"Sales\", client=user)"));
    assert!(
        !titles.iter().any(|t| t.starts_with("Fix all")),
        "no safe fix, no fix-all: {titles:?}"
    );

    let suppress = actions
        .iter()
        .find(|a| a["title"] == "Suppress OBO201 on this line")
        .unwrap();
    let suppressed = apply(
        &text,
        suppress["edit"]["changes"][&agent].as_array().unwrap(),
    );
    client.change(&agent, 2, json!([{ "text": suppressed }]));
    assert_eq!(codes(&client.pull(&agent)), ["OBO101"]);

    // Asked for explicitly, fix-all answers with nothing to do.
    let fix_all = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": agent },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
            "context": { "diagnostics": [], "only": ["source.fixAll"] }
        }),
    );
    assert_eq!(fix_all, json!([]));
    assert!(client.shutdown());
}

#[test]
fn fix_all_applies_safe_fixes() {
    // OBO901 (an unused suppression) has a safe fix: removing it.
    let project = Project::new();
    let mut client = pull_client();
    let uri = project.uri("sales_agent/clients.py");
    let text = project.text("sales_agent/clients.py").replace(
        "return WorkspaceClient()",
        "return WorkspaceClient()  # noqa: OBO101",
    );
    client.open(&uri, &text);
    let items = client.pull(&uri);
    assert_eq!(codes(&items), ["OBO901"]);
    assert_eq!(items[0]["tags"], json!([1]));
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
            "context": { "diagnostics": [], "only": ["source.fixAll.obolint"] }
        }),
    );
    let action = &actions[0];
    assert_eq!(action["kind"], "source.fixAll.obolint");
    let fixed = apply(&text, action["edit"]["changes"][&uri].as_array().unwrap());
    assert_eq!(fixed, project.text("sales_agent/clients.py"));
    assert!(client.shutdown());
}

#[test]
fn hover_on_a_noqa_code_shows_the_rule_doc() {
    let project = Project::new();
    let mut client = pull_client();
    let uri = project.uri("sales_agent/agent.py");
    let text = project.text("sales_agent/agent.py").replace(
        "self.user_client = caller_client()",
        "self.user_client = caller_client()  # noqa: E501, OBO101",
    );
    client.open(&uri, &text);
    let line = text.lines().position(|l| l.contains("OBO101")).unwrap();
    let character = text.lines().nth(line).unwrap().find("OBO101").unwrap() + 3;
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
    );
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("# OBO101: user-client-at-load-time")
    );
    let character = text.lines().nth(line).unwrap().find("E501").unwrap() + 1;
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
    );
    assert_eq!(hover, Value::Null);
    assert!(client.shutdown());
}

#[test]
fn a_bad_configuration_is_a_message_and_the_defaults_keep_working() {
    let project = Project::new();
    std::fs::write(
        project.path("obolint.toml"),
        "select = [\"OBO\"]\nno-such-key = 1\n",
    )
    .unwrap();
    let (mut client, _) = Client::start(json!({
        "textDocument": { "diagnostic": {} },
        "workspace": {
            "diagnostics": { "refreshSupport": true },
            "didChangeWatchedFiles": { "dynamicRegistration": true }
        }
    }));
    client.server_request("client/registerCapability");
    let agent = project.uri("sales_agent/agent.py");
    client.open(&agent, &project.text("sales_agent/agent.py"));
    assert_eq!(codes(&client.pull(&agent)), ["OBO101", "OBO201"]);
    let message = client.notification("window/showMessage", |_| true);
    assert_eq!(message["type"], 1);
    assert!(
        message["message"]
            .as_str()
            .unwrap()
            .contains("obolint.toml")
    );

    // Fixed on disk, then announced as a watched-file change: settings reload.
    std::fs::write(project.path("obolint.toml"), "ignore = [\"OBO201\"]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": project.uri("obolint.toml"), "type": 2 }] }),
    );
    assert_eq!(codes(&client.pull(&agent)), ["OBO101"]);
    // Findings changed without an edit from the client: it is asked to pull again.
    client.server_request("workspace/diagnostic/refresh");
    assert!(client.shutdown());
}

#[test]
fn positions_count_utf16_code_units_by_default_and_bytes_when_negotiated() {
    let project = Project::new();
    let text = project.text("sales_agent/agent.py").replace(
        "        self.user_client",
        "        x = \"é𝄞\"; self.user_client",
    );
    for (capabilities, character) in [
        (json!({ "textDocument": { "diagnostic": {} } }), 38),
        (
            json!({ "general": { "positionEncodings": ["utf-8"] }, "textDocument": { "diagnostic": {} } }),
            41,
        ),
    ] {
        let (mut client, _) = Client::start(capabilities);
        let agent = project.uri("sales_agent/agent.py");
        client.open(&agent, &text);
        let items = client.pull(&agent);
        let obo101 = items.iter().find(|d| d["code"] == "OBO101").unwrap();
        // `x = "é𝄞"; ` adds 10 characters: 11 UTF-16 code units, 14 bytes.
        assert_eq!(obo101["range"]["start"]["character"], character);
        assert!(client.shutdown());
    }
}

#[test]
fn notebooks_are_checked_and_reported_cell_by_cell() {
    // `fixtures/rules/OBO101/fire_ipynb_writefile`: a markdown cell, then a `%%writefile agent.py`
    // cell whose agent builds its user client in `__init__` (row 10 of the cell).
    let project = Project::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/rules/OBO101/fire_ipynb_writefile/build_agent.ipynb");
    std::fs::copy(&fixture, project.path("build_agent.ipynb")).unwrap();
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
    let source = |cell: &Value| match &cell["source"] {
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect::<String>(),
        other => other.as_str().unwrap_or_default().to_string(),
    };
    let agent_cell = source(&json["cells"][1]);
    assert!(agent_cell.starts_with("%%writefile agent.py"));

    let mut client = pull_client();
    let notebook = project.uri("build_agent.ipynb");
    let cell = |n: u32| {
        format!(
            "vscode-notebook-cell:{}#cell{n}",
            project.path("build_agent.ipynb").display()
        )
    };
    client.notify(
        "notebookDocument/didOpen",
        json!({
            "notebookDocument": {
                "uri": notebook, "notebookType": "jupyter-notebook", "version": 1,
                "cells": [{ "kind": 1, "document": cell(1) }, { "kind": 2, "document": cell(2) }]
            },
            "cellTextDocuments": [
                { "uri": cell(1), "languageId": "markdown", "version": 1, "text": source(&json["cells"][0]) },
                { "uri": cell(2), "languageId": "python", "version": 1, "text": agent_cell }
            ]
        }),
    );
    let items = client.pull(&cell(2));
    assert_eq!(codes(&items), ["OBO101"]);
    assert_eq!(
        items[0]["range"]["start"],
        json!({ "line": 9, "character": 17 })
    );
    assert_eq!(client.pull(&cell(1)), Vec::<Value>::new());

    // Quick fixes land in the cell.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": cell(2) },
            "range": { "start": { "line": 9, "character": 0 }, "end": { "line": 9, "character": 0 } },
            "context": { "diagnostics": [] }
        }),
    );
    let suppress = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Suppress OBO101 on this line")
        .unwrap();
    let edits = suppress["edit"]["changes"][&cell(2)].as_array().unwrap();
    assert_eq!(edits[0]["range"]["start"]["line"], 9);
    let suppressed = apply(&agent_cell, edits);
    assert!(
        suppressed
            .lines()
            .nth(9)
            .unwrap()
            .ends_with("  # noqa: OBO101")
    );

    // Cells are added and edited: a cell before the agent's (which moves to index 2), and the
    // client built in `__init__` commented out.
    client.notify(
        "notebookDocument/didChange",
        json!({
            "notebookDocument": { "uri": notebook, "version": 2 },
            "change": { "cells": {
                "structure": { "array": { "start": 0, "deleteCount": 0, "cells": [{ "kind": 2, "document": cell(3) }] },
                               "didOpen": [{ "uri": cell(3), "languageId": "python", "version": 1, "text": "%pip install mlflow\n" }] },
                "textContent": [{ "document": { "uri": cell(2), "version": 2 },
                                  "changes": [{ "range": { "start": { "line": 9, "character": 8 }, "end": { "line": 9, "character": 8 } }, "text": "pass  # " }] }]
            } }
        }),
    );
    assert_eq!(client.pull(&cell(2)), Vec::<Value>::new());
    assert_eq!(client.pull(&cell(3)), Vec::<Value>::new());
    // Undone: the finding is back, in the moved cell, at the same place.
    client.notify(
        "notebookDocument/didChange",
        json!({
            "notebookDocument": { "uri": notebook, "version": 3 },
            "change": { "cells": {
                "textContent": [{ "document": { "uri": cell(2), "version": 3 },
                                  "changes": [{ "range": { "start": { "line": 9, "character": 8 }, "end": { "line": 9, "character": 16 } }, "text": "" }] }]
            } }
        }),
    );
    let items = client.pull(&cell(2));
    assert_eq!(codes(&items), ["OBO101"]);
    assert_eq!(
        items[0]["range"]["start"],
        json!({ "line": 9, "character": 17 })
    );
    // Fix-all in a notebook edits the cells whose source changes.
    let unused = "import mlflow\nx = 1  # noqa: OBO101\n";
    client.notify(
        "notebookDocument/didChange",
        json!({
            "notebookDocument": { "uri": notebook, "version": 4 },
            "change": { "cells": {
                "textContent": [{ "document": { "uri": cell(3), "version": 2 },
                                  "changes": [{ "text": unused }] }]
            } }
        }),
    );
    assert_eq!(codes(&client.pull(&cell(3))), ["OBO901"]);
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": cell(3) },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
            "context": { "diagnostics": [], "only": ["source.fixAll.obolint"] }
        }),
    );
    let changes = &actions[0]["edit"]["changes"];
    assert_eq!(changes.as_object().unwrap().len(), 1, "{changes}");
    let fixed = apply(unused, changes[&cell(3)].as_array().unwrap());
    assert_eq!(fixed, "import mlflow\nx = 1\n");
    client.notify(
        "notebookDocument/didClose",
        json!({ "notebookDocument": { "uri": notebook }, "cellTextDocuments": [] }),
    );
    assert!(client.shutdown());
}

#[test]
fn bad_requests_get_errors_and_the_server_stays_up() {
    let project = Project::new();
    let mut client = pull_client();
    let id = client.send_request("textDocument/noSuchMethod", json!({}));
    assert_eq!(
        client.response(&id).response_result.unwrap_err().code,
        -32601
    );
    let id = client.send_request("textDocument/diagnostic", json!({ "textDocument": 42 }));
    assert_eq!(
        client.response(&id).response_result.unwrap_err().code,
        -32602
    );
    client.notify("textDocument/didChange", json!({ "nonsense": true }));
    client.notify("textDocument/didOpen", json!(null));
    // A document that does not parse is a finding, not a crash.
    let agent = project.uri("sales_agent/agent.py");
    client.open(&agent, "import mlflow\nclass (:\n    def\n");
    let items = client.pull(&agent);
    assert!(!items.is_empty() && items.iter().all(|d| d["code"] == "OBO900"));
    // Edits to documents never opened, and an untitled buffer, are ignored.
    client.change("file:///nowhere/x.py", 2, json!([{ "text": "x" }]));
    client.open("untitled:Untitled-1", "import os\n");
    assert_eq!(client.pull("untitled:Untitled-1"), Vec::<Value>::new());
    assert!(client.shutdown());
}

/// A Databricks App whose bundle declares no user API scopes: the app's code reads the user's
/// token (OBO710). Declaring them in the unsaved `databricks.yml` buffer clears the app's
/// Python file: the bundle and the app's code are checked together.
#[test]
fn editing_the_bundle_refreshes_the_app_code() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let bundle = "bundle:\n  name: app\n\nresources:\n  apps:\n    app:\n      name: app\n      source_code_path: ./app\n";
    let code = "import streamlit as st\nfrom databricks import sql\n\ntoken = st.context.headers.get(\"X-Forwarded-Access-Token\")\nconn = sql.connect(server_hostname=\"h\", http_path=\"/sql/1.0/warehouses/abc\", access_token=token)\n";
    std::fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    std::fs::write(root.join("databricks.yml"), bundle).unwrap();
    std::fs::create_dir_all(root.join("app")).unwrap();
    std::fs::write(root.join("app/app.py"), code).unwrap();
    let app = format!("file://{}", root.join("app/app.py").display());
    let yml = format!("file://{}", root.join("databricks.yml").display());
    let (mut client, _) = Client::start(json!({}));
    client.open(&app, code);
    client.open(&yml, bundle);
    let items = client.published(&app, |d| !d.is_empty());
    assert_eq!(codes(&items), ["OBO710"]);

    // The quick fix on the Python finding edits the bundle, where the scopes are declared.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": app },
            "range": { "start": { "line": 3, "character": 0 }, "end": { "line": 3, "character": 0 } },
            "context": { "diagnostics": [] }
        }),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Declare `user_api_scopes: [sql]`")
        })
        .unwrap_or_else(|| panic!("{actions}"));
    let changes = fix["edit"]["changes"].as_object().unwrap();
    assert_eq!(changes.keys().collect::<Vec<_>>(), [&yml]);
    let declared = apply(bundle, changes[&yml].as_array().unwrap());
    assert_eq!(
        declared,
        "bundle:\n  name: app\n\nresources:\n  apps:\n    app:\n      user_api_scopes:\n        - sql\n      name: app\n      source_code_path: ./app\n"
    );

    // The scopes are declared in the bundle, unsaved: the app's finding goes.
    client.change(&yml, 2, json!([{ "text": declared }]));
    client.published(&app, <[Value]>::is_empty);

    // A scope Apps rejects is reported in the bundle itself.
    let rejected = declared.replace("        - sql\n", "        - sql\n        - jobs.jobs\n");
    client.change(&yml, 3, json!([{ "text": rejected }]));
    let items = client.published(&yml, |d| !d.is_empty());
    assert_eq!(codes(&items), ["OBO708"]);
    assert!(client.shutdown());
}
