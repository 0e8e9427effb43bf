//! `file:` URIs and paths. Only `file:` documents are checked; other schemes (untitled buffers,
//! notebook cells) are tracked but have no path of their own.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;
use obolint_diagnostics::render::percent_encode_path;

/// The `file:` URI of an absolute path.
pub fn file_uri(path: &Path) -> Option<Uri> {
    let text = path.to_string_lossy();
    let encoded = percent_encode_path(&text);
    let slash = if encoded.starts_with('/') { "" } else { "/" };
    Uri::from_str(&format!("file://{slash}{encoded}")).ok()
}

/// The path of a `file:` URI (`file:///a%20b.py`, `file://localhost/a.py`), percent-decoded.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let scheme_end = text.find(':')?;
    if !text[..scheme_end].eq_ignore_ascii_case("file") {
        return None;
    }
    let rest = text[scheme_end + 1..].strip_prefix("//")?;
    let path = &rest[rest.find('/')?..];
    let host = &rest[..rest.find('/')?];
    if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode(path)?;
    // `file:///C:/x` on Windows: the drive letter follows the slash.
    if cfg!(windows) && decoded.len() > 2 && decoded.as_bytes()[2] == b':' {
        return Some(PathBuf::from(&decoded[1..]));
    }
    Some(PathBuf::from(decoded))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn paths_round_trip() {
        let path = Path::new("/tmp/my project/agént.py");
        let uri = file_uri(path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/my%20project/ag%C3%A9nt.py");
        assert_eq!(uri_path(&uri).unwrap(), path);
    }

    #[test]
    fn other_schemes_have_no_path() {
        let uri = Uri::from_str("vscode-notebook-cell:/tmp/a.ipynb#W0sZmlsZQ").unwrap();
        assert_eq!(uri_path(&uri), None);
        let uri = Uri::from_str("file://localhost/tmp/a.py").unwrap();
        assert_eq!(uri_path(&uri), Some(PathBuf::from("/tmp/a.py")));
    }
}
