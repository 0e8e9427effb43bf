//! `obolint server` as editors run it: the binary, over stdio. Malformed input (garbage bytes, bad
//! headers, JSON that is not a message, unknown methods, wrong parameters) is skipped or answered
//! with an error; the server keeps serving and exits 0 after `shutdown` and `exit`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
}

fn read_message(reader: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Server {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_obolint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(message) = read_message(&mut stdout) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            stdin,
            messages,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    /// The answer to request `id`, skipping notifications.
    fn answer(&self, id: i64) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(30))
                .expect("the server answers");
            if message["id"] == id {
                return message;
            }
        }
    }

    fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.answer(id)
    }
}

#[test]
fn malformed_input_does_not_kill_the_server() {
    let mut server = Server::start();
    // Before `initialize`: an error, not a crash.
    let early = server.request(1, "textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002);
    let init = server.request(
        2,
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": { "textDocument": { "diagnostic": {} } } }),
    );
    assert_eq!(init["result"]["serverInfo"]["name"], "obolint");
    server.send(json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }));

    // Garbage bytes, a header that is not one, a length that is not a number.
    server.raw(b"\x00\xff\xfe garbage\r\nnot-a-header\r\nContent-Length: many\r\n\r\n");
    // Bodies that are not JSON, or not JSON-RPC.
    server.raw(b"Content-Length: 8\r\n\r\n{\"jsonrp");
    // A length that is wrong (too short): the rest of that body is skipped up to the next header.
    server.raw(b"Content-Length: 3\r\n\r\n{\"jsonrpc\":\"2.0\"}\r\n");
    server.raw(b"Content-Length: 5\r\n\r\n[1,2]");
    server.raw(b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc");
    // An unknown method, and known ones with wrong parameters.
    let unknown = server.request(3, "obolint/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    let invalid = server.request(4, "textDocument/codeAction", json!({ "textDocument": "x" }));
    assert_eq!(invalid["error"]["code"], -32602);
    server.send(json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": 7 }));
    server.send(json!({ "jsonrpc": "2.0", "method": "$/unknownNotification" }));

    // Still serving: a file that does not parse is a finding.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n",
    )
    .unwrap();
    let path = dir.path().canonicalize().unwrap().join("agent.py");
    let text = "import mlflow\ndef broken(:\n";
    std::fs::write(&path, text).unwrap();
    let uri = format!("file://{}", path.display());
    server.send(json!({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": { "textDocument": { "uri": uri, "languageId": "python", "version": 1, "text": text } }
    }));
    let pulled = server.request(
        5,
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    let items = pulled["result"]["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|d| d["code"] == "OBO900"), "{items:?}");

    let shutdown = server.request(6, "shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    server.send(json!({ "jsonrpc": "2.0", "method": "exit" }));
    let status = server.child.wait().unwrap();
    assert!(
        status.success(),
        "exit after shutdown is exit code 0: {status}"
    );
}

#[test]
fn exit_without_shutdown_is_exit_code_1_and_closed_stdin_ends_the_server() {
    let mut server = Server::start();
    server.request(
        1,
        "initialize",
        json!({ "processId": null, "capabilities": {} }),
    );
    server.send(json!({ "jsonrpc": "2.0", "method": "exit" }));
    assert_eq!(server.child.wait().unwrap().code(), Some(1));

    let mut server = Server::start();
    server.request(
        1,
        "initialize",
        json!({ "processId": null, "capabilities": {} }),
    );
    drop(server.stdin);
    assert_eq!(server.child.wait().unwrap().code(), Some(1));
}
