//! Latency benchmark: how long after a keystroke in a 1,000-line file its fresh diagnostics reach
//! the editor. Drives the server over an in-memory connection as a pull client: each round sends
//! one incremental `didChange` (a character typed, then deleted) and a `textDocument/diagnostic`
//! request, and times the answer, which the server gives only once the edited text is checked.
//!
//! Run with `cargo run --release -p obolint_server --example latency [ROUNDS] [PROJECT]`. With
//! PROJECT, a folder, the agent is edited inside a copy of it (made in a temporary folder, with
//! its regular files and folders): every check is then one of that whole project.

use std::time::{Duration, Instant};

// The allocator and its setting that `obolint server` runs with (crates/obolint/src/main.rs):
// measured without them, a check in a large project spent a fifth of its time in the system
// allocator.
#[global_allocator]
static GLOBAL: obolint_python::arena::TreeAlloc<mimalloc::MiMalloc> =
    obolint_python::arena::TreeAlloc(mimalloc::MiMalloc);

/// `mi_option_purge_delay` in mimalloc's option enum.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

/// A 1,000-line agent: a client built at load time (OBO101) and many request-time tools.
fn agent_source() -> String {
    let mut text = String::from(
        "import mlflow\n\
         from databricks.sdk import WorkspaceClient\n\
         from databricks_ai_bridge import ModelServingUserCredentials\n\
         from mlflow.pyfunc import ResponsesAgent\n\
         \n\
         \n\
         class Agent(ResponsesAgent):\n\
         \x20   def __init__(self):\n\
         \x20       self.user_client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n\
         \n",
    );
    let mut tool = 0;
    while text.lines().count() < 990 {
        text.push_str(&format!(
            "    def tool_{tool}(self, request):\n\
             \x20       # tool {tool}: looks the caller up\n\
             \x20       client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())\n\
             \x20       value_{tool} = client.current_user.me()\n\
             \x20       return value_{tool}\n\n"
        ));
        tool += 1;
    }
    text.push_str("\n\nmlflow.models.set_model(Agent())\n");
    text
}

/// The regular files and folders of `from`, copied into `to` (symbolic links are left out).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).expect("a readable folder") {
        let entry = entry.expect("an entry");
        let kind = entry.file_type().expect("a file type");
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            std::fs::create_dir(&target).expect("a folder");
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).expect("a copy");
        }
    }
}

struct Client {
    connection: Connection,
    next_id: i32,
}

impl Client {
    fn notify(&self, method: &str, params: Value) {
        let message = Notification::new(method.to_string(), params);
        self.connection
            .sender
            .send(message.into())
            .expect("server alive");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.to_string(), params);
        self.connection
            .sender
            .send(request.into())
            .expect("server alive");
        loop {
            match self.connection.receiver.recv().expect("server alive") {
                Message::Response(response) if response.id == id => {
                    return response.response_result.expect("a result");
                }
                _ => {}
            }
        }
    }
}

fn main() {
    // SAFETY: sets an option of the allocator; any value is valid, -1 means never purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    obolint_python::arena::enable();
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path().canonicalize().expect("a path");
    if let Some(project) = std::env::args_os().nth(2) {
        copy_tree(std::path::Path::new(&project), &root);
    }
    if !root.join("pyproject.toml").exists() {
        std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"bench\"\n")
            .expect("write");
    }
    let source = agent_source();
    let path = root.join("obolint_latency_agent.py");
    std::fs::write(&path, &source).expect("write");
    let uri = format!("file://{}", path.display());

    let (server_side, client_side) = Connection::memory();
    let server = std::thread::spawn(move || obolint_server::run(&server_side));
    let mut client = Client {
        connection: client_side,
        next_id: 0,
    };
    client.request(
        "initialize",
        json!({ "processId": null, "capabilities": { "textDocument": { "diagnostic": {} } } }),
    );
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "python", "version": 1, "text": source } }),
    );
    let first = client.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    let findings = first["items"].as_array().map_or(0, Vec::len);

    // Line 500 is inside a tool; type an `x` into its comment, then delete it.
    let line = source
        .lines()
        .enumerate()
        .skip(500)
        .find(|(_, l)| l.trim_start().starts_with("# tool"))
        .map_or(500, |(i, _)| i);
    let mut times: Vec<Duration> = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let version = round as i32 + 2;
        let change = if round % 2 == 0 {
            json!({ "range": { "start": { "line": line, "character": 10 }, "end": { "line": line, "character": 10 } }, "text": "x" })
        } else {
            json!({ "range": { "start": { "line": line, "character": 10 }, "end": { "line": line, "character": 11 } }, "text": "" })
        };
        let started = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
        );
        let report = client.request(
            "textDocument/diagnostic",
            json!({ "textDocument": { "uri": uri } }),
        );
        times.push(started.elapsed());
        assert_eq!(report["items"].as_array().map_or(0, Vec::len), findings);
    }

    // A burst of 50 keystrokes, then one pull: coalesced into (about) one check.
    let started = Instant::now();
    for i in 0..50 {
        let version = rounds as i32 + 2 + i;
        let change = json!({ "range": { "start": { "line": line, "character": 10 }, "end": { "line": line, "character": 10 } }, "text": "y" });
        client.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
        );
    }
    client.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    let burst = started.elapsed();

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    let _ = server.join();

    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    println!(
        "{} lines, {findings} findings, {rounds} edits: keystroke to fresh diagnostics min {:.2} ms, median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        source.lines().count(),
        ms(times[0]),
        ms(median),
        ms(p95),
        ms(times[times.len() - 1]),
    );
    println!(
        "a burst of 50 keystrokes then one pull: {:.2} ms",
        ms(burst)
    );
}
