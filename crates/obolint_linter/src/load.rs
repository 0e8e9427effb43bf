//! Reading files: bytes to text, undecodable and unreadable files as findings, and the
//! prescreen that decides which files are worth parsing. [`read_bounded`] is the one way obolint
//! reads a file from disk: regular files only, up to a size limit (`max-file-size`).

use std::path::Path;
#[cfg(all(test, unix))]
use std::path::PathBuf;

use obolint_diagnostics::FileId;
use obolint_python::prescreen::mentions_relevant_names;
use ruff_text_size::TextRange;

/// A file that could not be read or parsed, kept as data for OBO900 (`rules/syntax_error.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: FileId,
    pub range: TextRange,
    pub kind: LoadErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// Python that does not parse; `cell` is the 0-based notebook cell number.
    Syntax {
        message: String,
        cell: Option<usize>,
    },
    /// Not readable, or not UTF-8: nothing in it is checked.
    Unreadable(String),
    /// A `.ipynb` that is not a notebook.
    BrokenNotebook(String),
    /// An `MLmodel` or `resources.yaml` that does not parse.
    BrokenYaml(String),
}

#[derive(Debug)]
pub enum Loaded {
    Text {
        text: String,
        relevant: bool,
    },
    /// Not UTF-8: the text with replacement characters, and the byte offset of the first bad byte.
    NotUtf8 {
        lossy: String,
        offset: usize,
    },
    Unreadable(String),
    /// Text the prescreen rejected, dropped as soon as it was read (most files of a large
    /// repository): read again if a parsed file imports it.
    Skipped,
    /// A plain Python file the prescreen wants, whose text was dropped once read: the task that
    /// parses it reads it again, and the run keeps it only if something asks for it
    /// ([`obolint_diagnostics::SourceText`]). So the texts of a root are never all in memory.
    Deferred {
        /// The length and [`text_check`] of the text, as last read.
        len: usize,
        check: u64,
        /// [`obolint_python::prescreen::mentions_only_mlflow`] of the text.
        only_mlflow: bool,
    },
}

/// A hash of a text, to tell whether a file read again is the one parsed (not a defence against
/// a crafted collision: a repository is content at rest).
pub fn text_check(text: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(text.as_bytes());
    hasher.finish()
}

/// `text` is the one of `len` bytes whose [`text_check`] is `check`.
pub fn is_text(text: &str, len: usize, check: u64) -> bool {
    text.len() == len && text_check(text) == check
}

impl Loaded {
    /// Text given in memory (an unsaved buffer, a file being fixed).
    pub fn from_text(text: String, extra_words: &[String]) -> Loaded {
        let relevant = mentions_relevant_names(text.as_bytes(), extra_words);
        Loaded::Text { text, relevant }
    }
}

/// The default of `max-file-size` (the CLI contract): 64 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Why [`read_bounded`] read nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A FIFO, a device, a socket or a folder (after following symlinks): opening or reading it
    /// could block forever or never end.
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("larger than {} (`max-file-size`)", size_text(*.limit))]
    TooLarge { limit: u64 },
    /// A symlink into `/proc`, `/sys` or `/dev`.
    #[error("it resolves into {0}, which obolint does not read")]
    SystemPath(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// `64 MiB`, `1 KiB`, or bytes.
pub fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

pub(crate) fn kind_name(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else {
        "a special file"
    }
}

/// Folders of the system whose "regular" files are not files (`/proc/self/environ`, devices).
pub const SYSTEM_FOLDERS: &[&str] = &["/proc", "/sys", "/dev"];

/// Whether `path` (a real path) is in `/proc`, `/sys` or `/dev`.
pub fn is_system_path(path: &Path) -> bool {
    SYSTEM_FOLDERS.iter().any(|folder| path.starts_with(folder))
}

/// Whether `path` may be read: a regular file (after following symlinks), not in `/proc`, `/sys`
/// or `/dev` through a symlink, of at most `limit` bytes by its metadata. Its metadata when so.
pub fn check_readable(path: &Path, limit: u64) -> Result<std::fs::Metadata, ReadError> {
    // One look at the path itself first: a regular file that is no symlink needs no other.
    let own = std::fs::symlink_metadata(path)?;
    if own.is_file() {
        if own.len() > limit {
            return Err(ReadError::TooLarge { limit });
        }
        return Ok(own);
    }
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(ReadError::NotRegular(kind_name(metadata.file_type())));
    }
    if own.file_type().is_symlink()
        && let Ok(real) = path.canonicalize()
        && is_system_path(&real)
    {
        return Err(ReadError::SystemPath(real.display().to_string()));
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(metadata)
}

/// Reads a file if [`check_readable`] allows it. The type is checked before opening, so a FIFO
/// is never opened (opening one blocks until a writer comes), and the read stops after
/// `limit + 1` bytes whatever the file claims its size is (`/proc` files claim 0).
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    read_bounded_into(path, limit, &mut bytes)?;
    Ok(bytes)
}

/// [`read_bounded`] into `bytes` (emptied first).
fn read_bounded_into(path: &Path, limit: u64, bytes: &mut Vec<u8>) -> Result<(), ReadError> {
    let metadata = check_readable(path, limit)?;
    // A file swapped for a FIFO between the check and the open would still block: a hostile
    // repository is content at rest, not a concurrent local attacker.
    let file = std::fs::File::open(path)?;
    read_open(file, &metadata, limit, bytes)
}

/// Reads a file the walk found as a file (a regular file, or a symlink to one): what
/// [`read_bounded`] reads, with one lookup of its path instead of two. On Unix it is opened
/// without following a symlink and without blocking, and its type is read from the open file (no
/// path): a regular file is read. A symlink (the open refuses it), a file that cannot be opened so,
/// and anything but a regular file (which took the place of the file the walk saw; closed unread)
/// are read by [`read_bounded`], which says why not. These are most of the reads of a run:
/// checking the path first made a second lookup of every path (5% of a run's CPU on a corpus of
/// 7,000 files, most of it the kernel walking the path's folders again).
pub fn read_found(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    read_found_into(path, limit, &mut bytes)?;
    Ok(bytes)
}

/// [`read_found`] into `bytes` (emptied first).
fn read_found_into(path: &Path, limit: u64, bytes: &mut Vec<u8>) -> Result<(), ReadError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if let Ok(file) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            && let Ok(metadata) = file.metadata()
            && metadata.is_file()
        {
            // A regular file ignores `O_NONBLOCK` on local file systems; on a network or FUSE
            // one that does not, the read that would block clears it (`read_open`).
            return read_open(file, &metadata, limit, bytes);
        }
    }
    read_bounded_into(path, limit, bytes)
}

/// Reads an open regular file of `metadata` into `bytes` (emptied first), up to `limit` bytes
/// whatever its size says.
fn read_open(
    file: std::fs::File,
    metadata: &std::fs::Metadata,
    limit: u64,
    bytes: &mut Vec<u8>,
) -> Result<(), ReadError> {
    bytes.clear();
    if metadata.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    read_up_to(&file, metadata.len(), limit.saturating_add(1), bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(())
}

/// Reads `file` into `bytes` until its end or `bound` bytes, straight into the vector's room:
/// room for the `size` its metadata says and a byte more, so that a file of that size takes one
/// read and the read that finds its end (`read_to_end` reads through an 8 KiB first read and a
/// probe, three or four calls a file). A file opened with `O_NONBLOCK` whose read would block
/// (a network or FUSE file system may honour the flag for regular files) has it cleared, and is
/// read again.
#[cfg(unix)]
fn read_up_to(
    file: &std::fs::File,
    size: u64,
    bound: u64,
    bytes: &mut Vec<u8>,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    let room = |wanted: u64| usize::try_from(wanted.min(bound)).unwrap_or(usize::MAX);
    bytes.reserve(room(size.saturating_add(1)));
    loop {
        let left = bound.saturating_sub(bytes.len() as u64);
        if left == 0 {
            return Ok(());
        }
        if bytes.len() == bytes.capacity() {
            // Grown since its metadata was read: twice the room, up to the bound.
            bytes.reserve(room(bytes.len().max(4096) as u64).min(room(left)));
        }
        let spare = bytes.spare_capacity_mut();
        let want = spare.len().min(room(left));
        // SAFETY: `read` writes at most `want` bytes, which fit in `spare` (the vector's spare
        // capacity), through a descriptor `file` owns; it returns how many it wrote, or -1.
        let read = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), want) };
        match usize::try_from(read) {
            Ok(0) => return Ok(()),
            Ok(read) => {
                let len = bytes.len() + read.min(want);
                // SAFETY: the first `read` bytes of the spare capacity were written just now.
                unsafe { bytes.set_len(len) };
            }
            Err(_) => {
                let error = std::io::Error::last_os_error();
                match error.kind() {
                    std::io::ErrorKind::Interrupted => {}
                    // SAFETY: `fcntl` on a descriptor `file` owns; `F_SETFL` with 0 clears the
                    // status flags it may change (`O_NONBLOCK`, `O_APPEND`, `O_ASYNC`,
                    // `O_DIRECT`, `O_NOATIME`), of which only `O_NONBLOCK` was set.
                    std::io::ErrorKind::WouldBlock
                        if unsafe { libc::fcntl(fd, libc::F_SETFL, 0) } == 0 => {}
                    _ => return Err(error),
                }
            }
        }
    }
}

/// [`read_to_end`](std::io::Read::read_to_end), up to `bound` bytes.
#[cfg(not(unix))]
fn read_up_to(
    file: &std::fs::File,
    size: u64,
    bound: u64,
    bytes: &mut Vec<u8>,
) -> std::io::Result<()> {
    bytes.reserve(usize::try_from(size.min(bound)).unwrap_or(0));
    use std::io::Read;
    file.take(bound).read_to_end(bytes).map(drop)
}

/// [`read_bounded`], as UTF-8 text.
pub fn read_bounded_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// Reads a file the walk found (see [`read_found`]).
pub fn load(path: &Path, extra_words: &[String], limit: u64) -> Loaded {
    load_screened(path, limit, |bytes| {
        mentions_relevant_names(bytes, extra_words)
    })
}

/// [`load`] of a file the prescreen wanted when first read ([`Loaded::Deferred`]), read again
/// to be parsed: it is not screened again.
pub fn load_again(path: &Path, limit: u64) -> Loaded {
    load_screened(path, limit, |_| true)
}

fn load_screened(path: &Path, limit: u64, screen: impl FnOnce(&[u8]) -> bool) -> Loaded {
    let bytes = match read_found(path, limit) {
        Ok(bytes) => bytes,
        Err(error) => return Loaded::Unreadable(error.to_string()),
    };
    if let Some(unreadable) = too_large_to_parse(&bytes) {
        return unreadable;
    }
    let relevant = screen(&bytes);
    match String::from_utf8(bytes) {
        Ok(text) => Loaded::Text { text, relevant },
        Err(error) => not_utf8(error.as_bytes(), error.utf8_error()),
    }
}

/// Offsets are 32-bit (Ruff's `TextSize`): larger files cannot be parsed.
fn too_large_to_parse(bytes: &[u8]) -> Option<Loaded> {
    u32::try_from(bytes.len())
        .is_err()
        .then(|| Loaded::Unreadable(format!("it is larger than 4 GiB ({} bytes)", bytes.len())))
}

fn not_utf8(bytes: &[u8], error: std::str::Utf8Error) -> Loaded {
    Loaded::NotUtf8 {
        lossy: String::from_utf8_lossy(bytes).into_owned(),
        offset: error.valid_up_to(),
    }
}

/// How much room a thread's read buffer keeps between reads: a larger file's is given back.
const KEPT_READ_BUFFER: usize = 1 << 20;

thread_local! {
    /// The buffer [`with_found_text`] reads into, taken while a read uses it.
    static READ_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Reads a file the walk found (as [`read_found`]) into a buffer of this thread's, and hands
/// `f` its text, or what [`load`] loads for a file that is not read as text (unreadable, too
/// large, not UTF-8). Most files of a run are read only to be screened or parsed, and their
/// texts dropped: read into one buffer, they do not each take a block of their size from the
/// allocator (blocks of every size, freed at once, which the allocator then keeps). A text that
/// is kept is copied out of it.
pub fn with_found_text<R>(path: &Path, limit: u64, f: impl FnOnce(Result<&str, Loaded>) -> R) -> R {
    // Taken, not borrowed: a read inside `f` (none today) would read into a buffer of its own.
    let mut buffer = READ_BUFFER.take();
    let result = match read_found_into(path, limit, &mut buffer) {
        Err(error) => f(Err(Loaded::Unreadable(error.to_string()))),
        Ok(()) => match too_large_to_parse(&buffer) {
            Some(unreadable) => f(Err(unreadable)),
            None => match std::str::from_utf8(&buffer) {
                Ok(text) => f(Ok(text)),
                Err(error) => f(Err(not_utf8(&buffer, error))),
            },
        },
    };
    buffer.clear();
    if buffer.capacity() > KEPT_READ_BUFFER {
        buffer = Vec::new();
    }
    READ_BUFFER.set(buffer);
    result
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn outcome(read: Result<Vec<u8>, ReadError>) -> Result<Vec<u8>, String> {
        read.map_err(|e| e.to_string())
    }

    #[test]
    fn a_found_file_is_read_as_read_bounded_reads_it() {
        // One lookup of the path instead of two must change no answer: for every kind of entry a
        // walk can meet (or find in a file's place later), both readers say the same, and
        // neither blocks on a FIFO.
        let dir = tempfile::tempdir().expect("tempdir");
        let at = |name: &str| dir.path().join(name);
        std::fs::write(at("plain.py"), "import os\n").expect("write");
        std::fs::write(at("empty.py"), "").expect("write");
        std::fs::write(at("large.py"), "x = 1\n".repeat(100)).expect("write");
        std::fs::create_dir(at("folder.py")).expect("mkdir");
        let links = [
            ("link.py", dir.path().join("plain.py")),
            ("dangling.py", dir.path().join("missing.py")),
            ("zero.py", PathBuf::from("/dev/zero")),
            ("to_folder.py", dir.path().join("folder.py")),
        ];
        for (name, target) in &links {
            std::os::unix::fs::symlink(target, at(name)).expect("symlink");
        }
        let status = std::process::Command::new("mkfifo")
            .arg(at("fifo.py"))
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let names = [
            "plain.py",
            "empty.py",
            "large.py",
            "folder.py",
            "link.py",
            "dangling.py",
            "zero.py",
            "to_folder.py",
            "fifo.py",
            "missing.py",
        ];
        let (done, finished) = std::sync::mpsc::channel();
        let paths: Vec<PathBuf> = names.iter().map(|n| at(n)).collect();
        std::thread::spawn(move || {
            let answers: Vec<_> = paths
                .iter()
                .map(|p| (outcome(read_found(p, 100)), outcome(read_bounded(p, 100))))
                .collect();
            let _ = done.send(answers);
        });
        let answers = finished
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("no read blocks");
        for (name, (found, bounded)) in names.iter().zip(&answers) {
            assert_eq!(found, bounded, "{name}");
        }
        assert_eq!(answers[0].0, Ok(b"import os\n".to_vec()));
        assert_eq!(
            answers[4].0,
            Ok(b"import os\n".to_vec()),
            "a symlink is followed"
        );
        assert!(answers[2].0.as_ref().is_err_and(|e| e.contains("larger")));
        assert!(answers[8].0.as_ref().is_err_and(|e| e.contains("FIFO")));
        assert!(answers[6].0.as_ref().is_err_and(|e| e.contains("device")));
    }

    /// A file is read whole whatever size its metadata said (a file grown since, past the room
    /// made for it), never past the bound, and into what the vector held (emptied by callers).
    #[test]
    fn a_file_is_read_to_its_end_or_its_bound_whatever_its_size_said() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("grown.py");
        let text: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        std::fs::write(&path, &text).expect("write");
        let read = |size: u64, bound: u64| {
            let file = std::fs::File::open(&path).expect("open");
            let mut bytes = Vec::new();
            read_up_to(&file, size, bound, &mut bytes).expect("read");
            bytes
        };
        for size in [0, 1, 4096, 8192, 99_999, 100_000, 100_001, 1 << 20] {
            assert_eq!(read(size, u64::MAX), text, "said {size}");
            assert_eq!(read(size, 100_001), text, "said {size}");
            assert_eq!(read(size, 100_000), text, "said {size}");
            assert_eq!(read(size, 65_537), text[..65_537], "said {size}");
            assert_eq!(read(size, 1), text[..1], "said {size}");
            assert!(read(size, 0).is_empty(), "said {size}");
        }
        assert_eq!(
            outcome(read_found(&path, 99_999)).map_err(|e| e.contains("larger")),
            Err(true)
        );
        assert_eq!(outcome(read_found(&path, 100_000)), Ok(text));
    }

    /// What [`load`] loads and what [`with_found_text`] hands over, keeping the text.
    fn through_buffer(path: &Path, limit: u64) -> String {
        with_found_text(path, limit, |read| match read {
            Ok(text) => format!("{:?}", Loaded::from_text(text.to_owned(), &[])),
            Err(loaded) => format!("{loaded:?}"),
        })
    }

    #[test]
    fn a_file_read_into_the_buffer_is_loaded_as_load_loads_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = |name: &str| dir.path().join(name);
        std::fs::write(at("plain.py"), "import databricks\n").expect("write");
        std::fs::write(at("short.py"), "x = 1\n").expect("write");
        std::fs::write(at("empty.py"), "").expect("write");
        std::fs::write(at("latin1.py"), b"s = '\xe9t\xe9'\n").expect("write");
        std::fs::write(at("large.py"), "x = 1\n".repeat(100)).expect("write");
        std::fs::write(at("huge.py"), "y = 2\n".repeat(KEPT_READ_BUFFER)).expect("write");
        std::fs::create_dir(at("folder.py")).expect("mkdir");
        // Read in an order where a text follows a longer one in the same buffer: nothing of
        // the longer one is left in it.
        let names = [
            "large.py",
            "plain.py",
            "short.py",
            "latin1.py",
            "empty.py",
            "folder.py",
            "missing.py",
            "plain.py",
            "huge.py",
            "short.py",
        ];
        for name in names {
            let limit = if name == "huge.py" { u64::MAX } else { 100 };
            assert_eq!(
                through_buffer(&at(name), limit),
                format!("{:?}", load(&at(name), &[], limit)),
                "{name}"
            );
        }
        // The buffer keeps its room for the next read, up to a bound.
        with_found_text(&at("large.py"), 1000, |_| ());
        let kept = READ_BUFFER.take();
        assert!(kept.is_empty() && kept.capacity() >= 600);
        READ_BUFFER.set(kept);
        with_found_text(&at("huge.py"), u64::MAX, |read| {
            assert!(read.is_ok_and(|text| text.len() == 6 * KEPT_READ_BUFFER));
        });
        assert_eq!(READ_BUFFER.take().capacity(), 0);
    }
}
