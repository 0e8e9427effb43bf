//! The language server's input: `Content-Length` framed JSON-RPC read frame by frame until the
//! end, as `obolint server` reads stdin. Garbage is skipped, never a panic or a hang.
#![no_main]
use obolint_server::transport::{Frame, read_frame};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut input = std::io::Cursor::new(data);
    // Each frame consumes at least one byte, so this ends; the bound is a second guard.
    for _ in 0..=data.len() {
        match read_frame(&mut input) {
            Ok(Some(Frame::Message(_) | Frame::Malformed(_))) => {}
            Ok(None) | Err(_) => break,
        }
    }
});
