//! A file's text as the run keeps it: in memory, or read again from disk when first asked for.
//!
//! Most files a run parses are needed only while they are parsed: no finding points into them,
//! and nothing reads them again. Keeping every such text until the end of a root made the texts
//! a tenth of a large project's peak memory, so the loader hands over a parsed Python file's text
//! as [`SourceText::read_again`]: its length and a way to read it back, checked against what was
//! parsed. It is read again (once, by whichever thread asks first) only for a finding's excerpt
//! and position, a fix, or a `noqa` comment.
//!
//! A file that no longer holds what was parsed (saved during the run) cannot be shown as it was:
//! its text becomes blanks of the same length (every range stays in bounds, nothing is shown from
//! it) and [`SourceText::changed`] says so, for the checker to warn and not cache the run.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Reads the text again; `None` when it is not what was parsed.
pub type ReadAgain = Box<dyn Fn() -> Option<String> + Send + Sync>;

pub struct SourceText {
    text: OnceLock<String>,
    /// For a text not kept: how to read it again, and how long it was.
    again: Option<(ReadAgain, usize)>,
    /// Reading it again found another text.
    changed: AtomicBool,
}

impl SourceText {
    /// A text kept in memory.
    pub fn kept(text: String) -> Self {
        Self {
            text: OnceLock::from(text),
            again: None,
            changed: AtomicBool::new(false),
        }
    }

    /// A text of `len` bytes that `read` reads again when first asked for.
    pub fn read_again(len: usize, read: ReadAgain) -> Self {
        Self {
            text: OnceLock::new(),
            again: Some((read, len)),
            changed: AtomicBool::new(false),
        }
    }

    /// The text (read again if it was not kept).
    pub fn as_str(&self) -> &str {
        self.text.get_or_init(|| {
            let Some((read, len)) = &self.again else {
                return String::new();
            };
            match read() {
                Some(text) if text.len() == *len => text,
                _ => {
                    self.changed.store(true, Ordering::Relaxed);
                    " ".repeat(*len)
                }
            }
        })
    }

    /// Its length in bytes, without reading it again.
    pub fn len(&self) -> usize {
        match (self.text.get(), &self.again) {
            (Some(text), _) => text.len(),
            (None, Some((_, len))) => *len,
            (None, None) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text was not kept, and has not been read again.
    pub fn is_unread(&self) -> bool {
        self.text.get().is_none()
    }

    /// Reading the text again found another one: the file changed after it was parsed, and what
    /// is shown of it is blank.
    pub fn changed(&self) -> bool {
        self.changed.load(Ordering::Relaxed)
    }
}

impl Default for SourceText {
    fn default() -> Self {
        Self::kept(String::new())
    }
}

impl From<String> for SourceText {
    fn from(text: String) -> Self {
        Self::kept(text)
    }
}

impl From<&str> for SourceText {
    fn from(text: &str) -> Self {
        Self::kept(text.to_string())
    }
}

impl std::ops::Deref for SourceText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SourceText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text.get() {
            Some(text) => fmt::Debug::fmt(text, f),
            None => write!(f, "<{} bytes, read again when asked for>", self.len()),
        }
    }
}

impl fmt::Display for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for SourceText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SourceText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SourceText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_kept_text_is_itself() {
        let text = SourceText::kept("x = 1\n".to_string());
        assert!(!text.is_unread());
        assert_eq!(text.len(), 6);
        assert_eq!(text, "x = 1\n");
        assert!(!text.changed());
    }

    #[test]
    fn a_text_not_kept_is_read_once_when_asked_for() {
        let reads = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&reads);
        let text = SourceText::read_again(
            6,
            Box::new(move || {
                counted.fetch_add(1, Ordering::Relaxed);
                Some("x = 1\n".to_string())
            }),
        );
        // Its length is known without a read.
        assert_eq!(text.len(), 6);
        assert!(text.is_unread());
        assert_eq!(reads.load(Ordering::Relaxed), 0);
        assert_eq!(&*text, "x = 1\n");
        assert_eq!(text.lines().count(), 1);
        assert_eq!(reads.load(Ordering::Relaxed), 1);
        assert!(!text.is_unread());
        assert!(!text.changed());
    }

    #[test]
    fn a_text_that_changed_is_blank_and_says_so() {
        // Another text, or none (the file is gone), or one of another length.
        let reads: [ReadAgain; 3] = [
            Box::new(|| None),
            Box::new(|| Some("y = 22\n".to_string())),
            Box::new(|| Some("x\n".to_string())),
        ];
        for read in reads {
            let text = SourceText::read_again(6, read);
            assert_eq!(text, "      ");
            assert_eq!(text.len(), 6);
            assert!(text.changed());
        }
    }
}
