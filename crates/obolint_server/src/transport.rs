//! LSP's base protocol over stdio: `Content-Length` framed JSON-RPC messages.
//!
//! `lsp-server`'s own stdio transport ends its reader thread on the first malformed header or
//! payload, which leaves the server deaf. This one reads the same framing but treats garbage as
//! something to skip: a bad header line is dropped, a body that is not a JSON-RPC message is
//! logged and dropped, and reading goes on until stdin closes or the client sends `exit`.

use std::io::{self, BufRead, Write};
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use lsp_server::{Connection, Message};

/// A frame read from the client: a message, or the reason one could not be read.
#[derive(Debug)]
pub enum Frame {
    Message(Message),
    /// Something arrived that is not a message; the reader skipped it.
    Malformed(String),
}

/// Reads one frame. `Ok(None)` at the end of the input.
pub fn read_frame(input: &mut dyn BufRead) -> io::Result<Option<Frame>> {
    let mut length: Option<usize> = None;
    let mut line = Vec::new();
    let mut skipped = 0usize;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if length.is_some() {
                break;
            }
            // A blank line before any header: noise between messages.
            continue;
        }
        // The length header may follow garbage on the same line (the tail of a message whose
        // length was wrong): finding it anywhere lets the reader get back in step.
        let lower = text.to_ascii_lowercase();
        if let Some(at) = lower.find("content-length:") {
            match text[at + "content-length:".len()..].trim().parse::<usize>() {
                Ok(n) => length = Some(n),
                Err(_) => skipped += 1,
            }
        } else if !matches!(text.split_once(':'), Some((name, _)) if is_header_name(name)) {
            skipped += 1;
        }
        // `Content-Type` and any other well-formed header are allowed and ignored.
    }
    let Some(length) = length else {
        return Ok(None);
    };
    // A length no client would send: drop the message rather than allocate it.
    if length > 256 * 1024 * 1024 {
        return Ok(Some(Frame::Malformed(format!(
            "Content-Length {length} is too large"
        ))));
    }
    let mut body = vec![0u8; length];
    input.read_exact(&mut body)?;
    let frame = match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Frame::Message(message),
        Err(error) => Frame::Malformed(format!(
            "not a JSON-RPC message ({error}): {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )),
    };
    if skipped > 0 {
        eprintln!("obolint server: skipped {skipped} malformed header line(s)");
    }
    Ok(Some(frame))
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Writes one message with its header.
pub fn write_message(out: &mut dyn Write, message: &Message) -> io::Result<()> {
    let body = serde_json::to_string(message).map_err(io::Error::other)?;
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// Threads that move messages between stdio and a [`Connection`]; join them at the end.
pub struct IoThreads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<()>,
}

impl IoThreads {
    pub fn join(self) {
        // The reader may be blocked on stdin after `exit`; it ends with the process.
        drop(self.reader);
        let _ = self.writer.join();
    }
}

/// A connection over this process's stdin and stdout.
pub fn stdio() -> (Connection, IoThreads) {
    let (to_server, from_client): (Sender<Message>, Receiver<Message>) = unbounded();
    let (to_client, from_server): (Sender<Message>, Receiver<Message>) = bounded(64);
    let reader = thread::spawn(move || {
        let stdin = io::stdin();
        let mut stdin = stdin.lock();
        loop {
            match read_frame(&mut stdin) {
                Ok(Some(Frame::Message(message))) => {
                    let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                    if to_server.send(message).is_err() || exit {
                        return;
                    }
                }
                Ok(Some(Frame::Malformed(reason))) => {
                    eprintln!("obolint server: ignored a malformed message: {reason}");
                }
                Ok(None) => return,
                Err(error) => {
                    eprintln!("obolint server: cannot read stdin: {error}");
                    return;
                }
            }
        }
    });
    let writer = thread::spawn(move || {
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        for message in from_server {
            if let Err(error) = write_message(&mut stdout, &message) {
                eprintln!("obolint server: cannot write stdout: {error}");
                return;
            }
        }
    });
    (
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        IoThreads { reader, writer },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<String> {
        let mut reader = io::Cursor::new(input.as_bytes().to_vec());
        let mut out = Vec::new();
        while let Ok(Some(frame)) = read_frame(&mut reader) {
            out.push(match frame {
                Frame::Message(Message::Request(r)) => format!("request {}", r.method),
                Frame::Message(Message::Notification(n)) => format!("notification {}", n.method),
                Frame::Message(Message::Response(r)) => format!("response {}", r.id),
                Frame::Malformed(_) => "malformed".to_string(),
            });
        }
        out
    }

    fn framed(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn garbage_between_messages_is_skipped() {
        let input = format!(
            "garbage line\r\n{}{}{}",
            framed(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#),
            framed("{not json"),
            framed(r#"{"jsonrpc":"2.0","method":"exit"}"#),
        );
        assert_eq!(
            frames(&input),
            ["request shutdown", "malformed", "notification exit"]
        );
    }

    #[test]
    fn a_wrong_length_costs_one_message_only() {
        let input = format!(
            "Content-Length: 3\r\n\r\n{{\"jsonrpc\"}}{}",
            framed(r#"{"jsonrpc":"2.0","method":"exit"}"#),
        );
        assert_eq!(frames(&input), ["malformed", "notification exit"]);
    }

    #[test]
    fn json_that_is_not_a_message_is_malformed() {
        assert_eq!(frames(&framed(r#"{"hello":1}"#)), ["malformed"]);
        assert_eq!(frames(&framed("[]")), ["malformed"]);
    }

    #[test]
    fn headers_other_than_the_length_are_ignored() {
        let body = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        assert_eq!(frames(&input), ["notification initialized"]);
    }
}
