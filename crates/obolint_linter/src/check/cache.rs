//! The persistent cache (`.obolint_cache/` at the project root, as Ruff's `.ruff_cache`): what a
//! root's check reported, kept with a fingerprint of everything the check read, and given back
//! when a later check of the same root reads the same bytes.
//!
//! **One entry per root, not per file.** Most of obolint's findings are cross-file (a client made
//! in one module and used in another, scopes declared in the script that logs the model): a
//! change in any file can change findings in every other one, so a per-file entry could only
//! save a file's parse, not its findings. An entry is keyed by obolint's build, the root, the
//! settings and the command line, and holds the hash of every input: each discovered Python
//! file, notebook, manifest and configuration file (by content), plus each file the run read on
//! demand (requirement files named by log calls), re-read on a hit. Any difference is a miss,
//! and the run writes a new entry.
//!
//! **Never trusted.** A repository can hold a crafted `.obolint_cache/` (it is normal input to a
//! linter that runs on pull requests). Every entry carries a keyed BLAKE3 hash made with a secret
//! kept in the user's own cache folder, outside every project; an entry without the right one
//! (crafted, corrupt, from another user or machine, from another obolint) is ignored and
//! rewritten. A valid entry is still checked (every location inside its file) before use.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use obolint_diagnostics::{
    Applicability, CellStart, Diagnostic, Edit, FileId, Fix, Label, NotebookJson, Severity,
    SourceFile,
};
use rayon::prelude::*;
use ruff_text_size::{TextRange, TextSize};
use serde::{Deserialize, Serialize};

use super::sources::Sources;
use crate::load::{Loaded, read_bounded};
use crate::project::Probe;
use crate::registry::Rule;

/// The default cache folder, at the project root.
pub const DEFAULT_DIR: &str = ".obolint_cache";

/// The largest entry read back.
const MAX_ENTRY_BYTES: u64 = 512 * 1024 * 1024;

/// The most bytes of file texts one entry stores (see `RootCache::store`).
const MAX_STORED_TEXT: u64 = 32 * 1024 * 1024;

/// A request to use the cache: where (`--cache-dir`; otherwise the root's `cache-dir`, otherwise
/// `.obolint_cache` at the root), and the secret that signs entries.
#[derive(Clone)]
pub struct CacheRequest {
    pub dir: Option<PathBuf>,
    pub secret: [u8; 32],
}

impl std::fmt::Debug for CacheRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheRequest")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl CacheRequest {
    /// The cache with the user's secret (`$XDG_CACHE_HOME/obolint/secret`, else
    /// `~/.cache/obolint/secret`; `%LOCALAPPDATA%\obolint\secret` on Windows), created on first
    /// use. `None` when there is no such folder or the secret cannot be read or made: the run
    /// goes on without a cache.
    pub fn for_user(dir: Option<PathBuf>) -> Option<Self> {
        let folder = user_cache_folder()?.join("obolint");
        let secret = user_secret(&folder.join("secret"))?;
        Some(Self { dir, secret })
    }
}

fn user_cache_folder() -> Option<PathBuf> {
    let env = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if cfg!(windows) {
        return env("LOCALAPPDATA");
    }
    env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|home| home.join(".cache")))
}

fn user_secret(path: &Path) -> Option<[u8; 32]> {
    if let Ok(bytes) = read_bounded(path, 64)
        && let Ok(secret) = <[u8; 32]>::try_from(bytes.as_slice())
    {
        return Some(secret);
    }
    // Anything but a regular file there (a symlink, a FIFO, a folder) is not written through or
    // waited on: no cache. A new secret replaces the file whole (a new file, renamed over it),
    // never truncating whatever the path leads to.
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
        return None;
    }
    let secret = random_secret();
    let parent = path.parent()?;
    std::fs::create_dir_all(parent).ok()?;
    // Created readable by its owner only.
    let mut file = tempfile::NamedTempFile::new_in(parent).ok()?;
    file.write_all(&secret).ok()?;
    file.persist(path).ok()?;
    Some(secret)
}

/// 32 bytes nobody can guess: the system's random source where there is one, mixed with the
/// per-process random keys of the standard library's hasher, the time and the process id.
fn random_secret() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = blake3::Hasher::new();
    if let Ok(mut file) = std::fs::File::open("/dev/urandom") {
        let mut bytes = [0u8; 32];
        if std::io::Read::read_exact(&mut file, &mut bytes).is_ok() {
            hasher.update(&bytes);
        }
    }
    for i in 0..4u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        hasher.update(&h.finish().to_le_bytes());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.update(&now.to_le_bytes());
    hasher.update(&std::process::id().to_le_bytes());
    *hasher.finalize().as_bytes()
}

/// What identifies this build of obolint: its version and the executable's size and time (so a
/// rebuilt development binary never reads what an older one wrote).
fn build_identity() -> &'static str {
    static IDENTITY: OnceLock<String> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let exe = std::env::current_exe()
            .ok()
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| {
                let time = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                format!("{}:{time}", m.len())
            })
            .unwrap_or_default();
        format!("obolint {} {exe}", env!("CARGO_PKG_VERSION"))
    })
}

/// The folder the cache of `root` lives in, or why there is none. A folder from the
/// configuration stays inside the project (checked on its real path); `--cache-dir` may be
/// anywhere.
pub(super) fn folder(
    root: &Path,
    request: &CacheRequest,
    configured: Option<&Path>,
) -> Option<PathBuf> {
    if let Some(dir) = &request.dir {
        return Some(dir.clone());
    }
    let dir = root.join(configured.unwrap_or(Path::new(DEFAULT_DIR)));
    let real_root = root.canonicalize().ok()?;
    // The nearest existing ancestor of the folder must resolve inside the root.
    let existing = dir.ancestors().find(|a| a.exists())?;
    let real = existing.canonicalize().ok()?;
    real.starts_with(&real_root).then_some(dir)
}

/// The hash of one input, as it was read.
pub(super) fn hash_loaded(loaded: &Loaded) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    match loaded {
        Loaded::Text { text, .. } => return hash_text(text),
        Loaded::NotUtf8 { lossy, offset } => hasher
            .update(b"u")
            .update(&(*offset as u64).to_le_bytes())
            .update(lossy.as_bytes()),
        Loaded::Unreadable(reason) => hasher.update(b"e").update(reason.as_bytes()),
        // Hashed before its text is dropped (`read_root`); never asked for after.
        Loaded::Skipped => hasher.update(b"s"),
        // Hashed as read, before the text is dropped (`load::read_root`).
        Loaded::Deferred { len, check, .. } => hasher
            .update(b"d")
            .update(&len.to_le_bytes())
            .update(&check.to_le_bytes()),
    };
    hasher.finalize()
}

/// [`hash_loaded`] of a file loaded as `text` ([`Loaded::Text`]).
pub(super) fn hash_text(text: &str) -> blake3::Hash {
    blake3::Hasher::new()
        .update(b"t")
        .update(text.as_bytes())
        .finalize()
}

/// Hashes of files read from disk now (configuration files): content, or why it could not be read.
pub(super) fn hash_files(paths: &[PathBuf], limit: u64) -> Vec<(PathBuf, blake3::Hash)> {
    paths
        .par_iter()
        .map(|path| (path.clone(), hash_file(path, limit)))
        .collect()
}

fn hash_file(path: &Path, limit: u64) -> blake3::Hash {
    match read_bounded(path, limit) {
        Ok(bytes) => blake3::Hasher::new().update(b"t").update(&bytes).finalize(),
        Err(error) => blake3::Hasher::new()
            .update(b"e")
            .update(error.to_string().as_bytes())
            .finalize(),
    }
}

/// What identifies a file's bytes without reading them, as Git's index does: size, times,
/// inode. Any write changes the change time (`ctime`), which no program can set back. `None`
/// for a symlink, anything but a regular file, a file changed in the last two seconds (a write in
/// the same clock tick could keep every field; a later run stamps it), or off Unix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Stamp {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    ino: u64,
    dev: u64,
}

/// The stamp of each path, taken before it is read (a write after that changes the stamp).
pub(super) fn stamps(paths: &[PathBuf]) -> Vec<Option<Stamp>> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    paths.par_iter().map(|path| stamp(path, now)).collect()
}

#[cfg(unix)]
fn stamp(path: &Path, now: i64) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path).ok()?;
    if !m.is_file() || m.mtime() >= now - 2 || m.ctime() >= now - 2 {
        return None;
    }
    Some(Stamp {
        len: m.size(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
        ino: m.ino(),
        dev: m.dev(),
    })
}

#[cfg(not(unix))]
fn stamp(_: &Path, _: i64) -> Option<Stamp> {
    None
}

/// What a root looks like before any file is read: the hash of every path found and of the
/// configuration files, and the stamp of each Python file, notebook and manifest.
pub(super) struct Listing {
    pub hash: blake3::Hash,
    pub stamps: Vec<Option<Stamp>>,
}

/// The key of a root's entry: the build, the root, everything that configures the run.
pub(super) struct Key {
    pub root: PathBuf,
    pub setup: String,
}

/// The fingerprint of a root's inputs: every path with its hash, in order.
pub(super) fn fingerprint<'a>(
    inputs: impl Iterator<Item = (&'a Path, blake3::Hash)>,
) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    for (path, hash) in inputs {
        hasher.update(path.as_os_str().as_encoded_bytes());
        hasher.update(&[0]);
        hasher.update(hash.as_bytes());
    }
    hasher.finalize()
}

/// What the run learnt from the file system beyond the files it was given: a file read on
/// demand (its text's hash, `None` when it could not be read), whether a path is a file, where
/// a path really leads.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(super) enum Read {
    Text {
        path: PathBuf,
        hash: Option<String>,
    },
    IsFile {
        path: PathBuf,
        answer: bool,
    },
    Canonical {
        path: PathBuf,
        answer: Option<PathBuf>,
    },
}

impl From<Probe> for Read {
    fn from(probe: Probe) -> Self {
        match probe {
            Probe::IsFile(path, answer) => Read::IsFile { path, answer },
            Probe::Canonical(path, answer) => Read::Canonical { path, answer },
        }
    }
}

impl Read {
    /// Whether the file system answers the same today.
    fn holds(&self, reread: &impl Fn(&Path) -> Option<String>) -> bool {
        match self {
            Read::Text { path, hash } => reread(path) == *hash,
            Read::IsFile { path, answer } => path.is_file() == *answer,
            Read::Canonical { path, answer } => path.canonicalize().ok() == *answer,
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    build: String,
    root: PathBuf,
    setup: String,
    inputs: String,
    listing: String,
    stamps: Vec<Option<Stamp>>,
    reads: Vec<Read>,
    files: Vec<CachedFile>,
    diagnostics: Vec<CachedDiagnostic>,
}

#[derive(Clone, Serialize, Deserialize)]
struct CachedFile {
    path: PathBuf,
    text: String,
    /// `(offset, number)` of each notebook cell.
    cells: Vec<(u32, usize)>,
    /// An `.ipynb` notebook's own bytes, and where each character of `text` sits in them.
    notebook_json: Option<(String, Vec<(u32, u32)>)>,
}

#[derive(Clone, Serialize, Deserialize)]
struct CachedLabel {
    file: usize,
    start: u32,
    end: u32,
    message: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct CachedEdit {
    start: u32,
    end: u32,
    content: String,
}

#[derive(Clone, Serialize, Deserialize)]
struct CachedFix {
    message: String,
    applicability: String,
    /// The file the edits change, as an index into `Entry::files`, when it is not the primary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<usize>,
    edits: Vec<CachedEdit>,
}

#[derive(Clone, Serialize, Deserialize)]
struct CachedDiagnostic {
    code: String,
    severity: String,
    message: String,
    primary: CachedLabel,
    secondary: Vec<CachedLabel>,
    help: Option<String>,
    fix: Option<CachedFix>,
}

/// One root's entry in the cache folder.
pub(super) struct RootCache {
    path: PathBuf,
    dir: PathBuf,
    secret: [u8; 32],
    key: Key,
    /// The entry on disk, read and verified once.
    entry: OnceLock<Option<Entry>>,
}

impl RootCache {
    pub fn new(dir: PathBuf, secret: [u8; 32], key: Key) -> Self {
        let name = blake3::Hasher::new_keyed(&secret)
            .update(build_identity().as_bytes())
            .update(&[0])
            .update(key.root.as_os_str().as_encoded_bytes())
            .update(&[0])
            .update(key.setup.as_bytes())
            .finalize()
            .to_hex();
        let path = dir.join(format!("{}.json", &name[..32]));
        Self {
            path,
            dir,
            secret,
            key,
            entry: OnceLock::new(),
        }
    }

    fn mac(&self, body: &[u8]) -> blake3::Hash {
        blake3::keyed_hash(&self.secret, body)
    }

    /// The entry on disk, when it is this user's (its keyed hash), for this build, root and
    /// setup.
    fn entry(&self) -> Option<&Entry> {
        self.entry
            .get_or_init(|| {
                if std::fs::symlink_metadata(&self.path)
                    .ok()?
                    .file_type()
                    .is_symlink()
                {
                    return None;
                }
                let bytes = read_bounded(&self.path, MAX_ENTRY_BYTES).ok()?;
                let newline = bytes.iter().position(|&b| b == b'\n')?;
                let (mac, body) = (&bytes[..newline], &bytes[newline + 1..]);
                let expected = blake3::Hash::from_hex(mac).ok()?;
                // `Hash`'s equality is constant-time.
                if self.mac(body) != expected {
                    return None;
                }
                let entry: Entry = serde_json::from_slice(body).ok()?;
                (entry.build == build_identity()
                    && entry.root == self.key.root
                    && entry.setup == self.key.setup)
                    .then_some(entry)
            })
            .as_ref()
    }

    /// The findings of the entry when every file has the stamp it had when the entry was
    /// written (nothing read), with the files they point into added to `sources`.
    pub fn lookup_stamped(
        &self,
        listing: &Listing,
        sources: &mut Sources,
        reread: impl Fn(&Path) -> Option<String> + Sync,
    ) -> Option<Vec<Diagnostic>> {
        let entry = self.entry()?;
        let stamped = entry.listing == listing.hash.to_hex().as_str()
            && entry.stamps.len() == listing.stamps.len()
            && entry
                .stamps
                .iter()
                .zip(&listing.stamps)
                .all(|(a, b)| a.is_some() && a == b);
        if !stamped {
            return None;
        }
        Self::serve(entry, sources, reread)
    }

    /// The findings of the entry for these inputs (every byte read), with the files they point
    /// into added to `sources`; `None` on any doubt.
    pub fn lookup(
        &self,
        inputs: blake3::Hash,
        sources: &mut Sources,
        reread: impl Fn(&Path) -> Option<String> + Sync,
    ) -> Option<Vec<Diagnostic>> {
        let entry = self.entry()?;
        if entry.inputs != inputs.to_hex().as_str() {
            return None;
        }
        Self::serve(entry, sources, reread)
    }

    /// After a hit by content: the entry again with today's stamps, so that the next run is a
    /// hit without reading (files touched but unchanged, a fresh checkout of the same commit).
    pub fn restamp(&self, listing: Listing) {
        let Some(entry) = self.entry() else { return };
        if listing.stamps.iter().any(Option::is_none) || entry.stamps == listing.stamps {
            return;
        }
        let entry = Entry {
            stamps: listing.stamps,
            ..entry.clone()
        };
        if let Ok(body) = serde_json::to_vec(&entry) {
            let _ = self.write(&body);
        }
    }

    fn serve(
        entry: &Entry,
        sources: &mut Sources,
        reread: impl Fn(&Path) -> Option<String> + Sync,
    ) -> Option<Vec<Diagnostic>> {
        if !entry.reads.par_iter().all(|read| read.holds(&reread)) {
            return None;
        }
        let diagnostics = decode(entry)?;
        let ids: Vec<FileId> = entry
            .files
            .iter()
            .map(|file| {
                let display = sources.display_path(&file.path);
                let cells = file
                    .cells
                    .iter()
                    .map(|&(offset, number)| CellStart {
                        offset: TextSize::new(offset),
                        number,
                    })
                    .collect();
                let mut source = SourceFile::new(file.path.clone(), display, file.text.clone())
                    .with_cells(cells);
                if let Some((json, offsets)) = &file.notebook_json {
                    source = source.with_notebook_json(NotebookJson::new(
                        json.clone(),
                        offsets
                            .iter()
                            .map(|&(a, b)| (TextSize::new(a), TextSize::new(b)))
                            .collect(),
                    ));
                }
                sources.db.add(source)
            })
            .collect();
        Some(
            diagnostics
                .into_iter()
                .map(|mut d| {
                    remap(&mut d, &ids);
                    d
                })
                .collect(),
        )
    }

    /// Writes the entry for these inputs; a cache that cannot be written is no cache.
    pub fn store(
        &self,
        inputs: blake3::Hash,
        listing: Listing,
        reads: Vec<Read>,
        diagnostics: &[Diagnostic],
        sources: &Sources,
    ) {
        let mut ids: Vec<FileId> = Vec::new();
        let mut index = |id: FileId| match ids.iter().position(|&i| i == id) {
            Some(i) => i,
            None => {
                ids.push(id);
                ids.len() - 1
            }
        };
        let cached: Vec<CachedDiagnostic> =
            diagnostics.iter().map(|d| encode(d, &mut index)).collect();
        // The texts of the files findings point into are stored with them: past a bound (large
        // files, whose bytes JSON may write six times over), no entry, rather than one the
        // size of the repository built in memory.
        let texts: usize = ids
            .iter()
            .map(|&id| {
                let file = sources.db.get(id);
                file.text.len() + file.notebook_json.as_ref().map_or(0, |n| n.json.len())
            })
            .sum();
        if texts as u64 > MAX_STORED_TEXT {
            return;
        }
        let files = ids
            .iter()
            .map(|&id| {
                let file = sources.db.get(id);
                CachedFile {
                    path: file.path.clone(),
                    text: file.text.to_string(),
                    cells: file
                        .cells
                        .iter()
                        .map(|c| (u32::from(c.offset), c.number))
                        .collect(),
                    notebook_json: file.notebook_json.as_ref().map(|n| {
                        (
                            n.json.clone(),
                            n.offsets()
                                .iter()
                                .map(|&(a, b)| (u32::from(a), u32::from(b)))
                                .collect(),
                        )
                    }),
                }
            })
            .collect();
        let entry = Entry {
            build: build_identity().to_string(),
            root: self.key.root.clone(),
            setup: self.key.setup.clone(),
            inputs: inputs.to_hex().to_string(),
            listing: listing.hash.to_hex().to_string(),
            stamps: listing.stamps,
            reads,
            files,
            diagnostics: cached,
        };
        let Ok(body) = serde_json::to_vec(&entry) else {
            return;
        };
        let _ = self.write(&body);
    }

    fn write(&self, body: &[u8]) -> std::io::Result<()> {
        prepare_folder(&self.dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir)?;
        temp.write_all(self.mac(body).to_hex().as_bytes())?;
        temp.write_all(b"\n")?;
        temp.write_all(body)?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// What obolint writes in its cache folder to keep it out of backups.
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by obolint.\n";

/// Creates the cache folder with a `.gitignore` that keeps it out of git and a `CACHEDIR.TAG`
/// that keeps it out of backups. A folder that is a symlink is not used, nor one that holds
/// anything but obolint's cache: its `.gitignore` of `*` would hide the files there from the
/// walk and from git, and its tag from backups (`cache-dir = "."`, or a package's folder).
fn prepare_folder(dir: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(std::io::Error::other("the cache folder is a symlink"));
    }
    // Listed before the tag is read: a root checked beside this one may be creating the folder,
    // and its tag is the first thing in it, perhaps not yet all written.
    if std::fs::metadata(dir).is_ok() && std::fs::read_dir(dir)?.next().is_some() {
        let ours = read_bounded(&dir.join("CACHEDIR.TAG"), 4096)
            .is_ok_and(|bytes| CACHEDIR_TAG.as_bytes().starts_with(&bytes));
        if !ours {
            return Err(std::io::Error::other(
                "the cache folder holds files obolint did not write",
            ));
        }
    }
    std::fs::create_dir_all(dir)?;
    // Written only where nothing is, not even a dangling symlink (a repository may hold one,
    // pointing out of the project), and never through one: a new file, created here.
    let create = |name: &str, text: &str| -> std::io::Result<()> {
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_ok() {
            return Ok(());
        }
        // Roots checked in parallel share a folder: another may create it first.
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
            Err(e) => return Err(e),
        };
        file.write_all(text.as_bytes())
    };
    // The tag first: a root checked beside this one that finds the folder with something in
    // it knows it for obolint's by the tag.
    create("CACHEDIR.TAG", CACHEDIR_TAG)?;
    create(".gitignore", "# Automatically created by obolint.\n*\n")
}

fn encode_label(label: &Label, index: &mut impl FnMut(FileId) -> usize) -> CachedLabel {
    CachedLabel {
        file: index(label.file),
        start: label.range.start().into(),
        end: label.range.end().into(),
        message: label.message.clone(),
    }
}

fn encode(d: &Diagnostic, index: &mut impl FnMut(FileId) -> usize) -> CachedDiagnostic {
    CachedDiagnostic {
        code: d.rule.code.to_string(),
        severity: d.severity.as_str().to_string(),
        message: d.message.clone(),
        primary: encode_label(&d.primary, index),
        secondary: d.secondary.iter().map(|l| encode_label(l, index)).collect(),
        help: d.help.clone(),
        fix: d.fix.as_ref().map(|f| CachedFix {
            message: f.message.clone(),
            applicability: f.applicability.as_str().to_string(),
            file: f.file.map(&mut *index),
            edits: f
                .edits
                .iter()
                .map(|e| CachedEdit {
                    start: e.range.start().into(),
                    end: e.range.end().into(),
                    content: e.content.clone(),
                })
                .collect(),
        }),
    }
}

/// A range that lies on character boundaries of `text`.
fn range_in(text: &str, start: u32, end: u32) -> Option<TextRange> {
    let (s, e) = (start as usize, end as usize);
    (s <= e && text.is_char_boundary(s) && text.is_char_boundary(e))
        .then(|| TextRange::new(TextSize::new(start), TextSize::new(end)))
}

/// The findings of an entry, with files as indexes into `entry.files` (`FileId(index)`); `None`
/// when anything in it does not fit (an unknown code, a range outside its file).
fn decode(entry: &Entry) -> Option<Vec<Diagnostic>> {
    let label = |l: &CachedLabel| -> Option<Label> {
        let file = entry.files.get(l.file)?;
        Some(Label::new(
            FileId(u32::try_from(l.file).ok()?),
            range_in(&file.text, l.start, l.end)?,
            l.message.clone(),
        ))
    };
    entry
        .diagnostics
        .iter()
        .map(|d| {
            let rule = Rule::from_code(&d.code)?.info().meta;
            let severity = match d.severity.as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                _ => return None,
            };
            let primary = label(&d.primary)?;
            let fix = match &d.fix {
                None => None,
                Some(f) => Some(Fix {
                    message: f.message.clone(),
                    applicability: match f.applicability.as_str() {
                        "safe" => Applicability::Safe,
                        "unsafe" => Applicability::Unsafe,
                        "display-only" => Applicability::DisplayOnly,
                        _ => return None,
                    },
                    file: match f.file {
                        Some(i) => {
                            entry.files.get(i)?;
                            Some(FileId(u32::try_from(i).ok()?))
                        }
                        None => None,
                    },
                    edits: f
                        .edits
                        .iter()
                        .map(|e| {
                            let text = &entry.files.get(f.file.unwrap_or(d.primary.file))?.text;
                            Some(Edit {
                                range: range_in(text, e.start, e.end)?,
                                content: e.content.clone(),
                            })
                        })
                        .collect::<Option<Vec<_>>>()?,
                }),
            };
            Some(Diagnostic {
                rule,
                severity,
                message: d.message.clone(),
                primary,
                secondary: d.secondary.iter().map(label).collect::<Option<Vec<_>>>()?,
                help: d.help.clone(),
                fix,
            })
        })
        .collect()
}

fn remap(d: &mut Diagnostic, ids: &[FileId]) {
    let map = |l: &mut Label| l.file = ids[l.file.0 as usize];
    map(&mut d.primary);
    d.secondary.iter_mut().for_each(map);
    if let Some(file) = d.fix.as_mut().and_then(|f| f.file.as_mut()) {
        *file = ids[file.0 as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Roots checked in parallel prepare the same folder at once: none of them fails (one that
    /// did wrote no entry, and the next run missed the cache for that root).
    #[test]
    fn roots_prepare_a_shared_folder_at_once() {
        for _ in 0..40 {
            let dir = tempfile::tempdir().expect("tempdir");
            let folder = dir.path().join("cache");
            let start = std::sync::Barrier::new(8);
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            prepare_folder(&folder).map_err(|e| e.to_string())
                        })
                    })
                    .collect();
                for handle in handles {
                    assert_eq!(handle.join().expect("thread"), Ok(()));
                }
            });
            assert!(folder.join(".gitignore").is_file());
        }
    }

    /// Files unchanged since they were stamped are a hit without being read; a write anywhere is
    /// not (its change time moves, and a fresh stamp is not trusted for two seconds).
    #[cfg(unix)]
    #[test]
    fn stamps_stand_for_unchanged_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files: Vec<PathBuf> = ["a.py", "b.py"]
            .iter()
            .map(|name| {
                let path = dir.path().join(name);
                std::fs::write(&path, "x = 1\n").expect("write");
                path
            })
            .collect();
        assert!(
            stamps(&files).iter().all(Option::is_none),
            "a file written just now is not stamped"
        );
        std::thread::sleep(std::time::Duration::from_millis(3100));
        let listing = || Listing {
            hash: blake3::hash(b"paths"),
            stamps: stamps(&files),
        };
        assert!(listing().stamps.iter().all(Option::is_some));
        let key = || Key {
            root: dir.path().to_path_buf(),
            setup: String::new(),
        };
        let cache = RootCache::new(dir.path().join("c"), [1; 32], key());
        let mut sources = Sources::new(dir.path().to_path_buf());
        cache.store(
            blake3::hash(b"inputs"),
            listing(),
            Vec::new(),
            &[],
            &sources,
        );
        let reopen = || RootCache::new(dir.path().join("c"), [1; 32], key());
        assert!(
            reopen()
                .lookup_stamped(&listing(), &mut sources, |_| None)
                .is_some(),
            "unchanged: a hit without reading"
        );
        // Same bytes written again: the change time moves.
        std::fs::write(&files[1], "x = 1\n").expect("write");
        assert!(
            reopen()
                .lookup_stamped(&listing(), &mut sources, |_| None)
                .is_none()
        );
        // Once its stamp is trusted again, the same bytes are a hit by content, which stamps the
        // entry anew: the next run reads nothing.
        std::thread::sleep(std::time::Duration::from_millis(3100));
        assert!(
            reopen()
                .lookup_stamped(&listing(), &mut sources, |_| None)
                .is_none()
        );
        let by_content = reopen();
        assert!(
            by_content
                .lookup(blake3::hash(b"inputs"), &mut sources, |_| None)
                .is_some()
        );
        by_content.restamp(listing());
        assert!(
            reopen()
                .lookup_stamped(&listing(), &mut sources, |_| None)
                .is_some(),
            "restamped"
        );
        // Another listing (a file added, a configuration changed).
        let other = Listing {
            hash: blake3::hash(b"other paths"),
            stamps: listing().stamps,
        };
        assert!(
            reopen()
                .lookup_stamped(&other, &mut sources, |_| None)
                .is_none()
        );
    }

    #[test]
    fn an_entry_signed_with_another_secret_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = || Key {
            root: dir.path().to_path_buf(),
            setup: "s".to_string(),
        };
        let cache = RootCache::new(dir.path().join("c"), [1; 32], key());
        let mut sources = Sources::new(dir.path().to_path_buf());
        let id = sources.add_file(&dir.path().join("a.py"), "x = 1\n".to_string());
        let diagnostic = Diagnostic::new(
            Rule::from_code("OBO101").expect("a rule").info().meta,
            Severity::Error,
            "m",
            Label::new(id, TextRange::new(0.into(), 1.into()), "l"),
        );
        let inputs = blake3::hash(b"inputs");
        let listing = Listing {
            hash: blake3::hash(b"listing"),
            stamps: Vec::new(),
        };
        cache.store(
            inputs,
            listing,
            Vec::new(),
            std::slice::from_ref(&diagnostic),
            &sources,
        );
        let mut fresh = Sources::new(dir.path().to_path_buf());
        let found = cache
            .lookup(inputs, &mut fresh, |_| None)
            .expect("the writer reads its entry");
        assert_eq!(found.len(), 1);
        assert_eq!(fresh.db.get(found[0].primary.file).text, "x = 1\n");
        // Other inputs: a miss.
        assert!(
            cache
                .lookup(blake3::hash(b"other"), &mut fresh, |_| None)
                .is_none()
        );
        // The same file under another user's secret: not trusted.
        let other = RootCache::new(dir.path().join("c"), [2; 32], key());
        std::fs::rename(&cache.path, &other.path).expect("rename");
        assert!(other.lookup(inputs, &mut fresh, |_| None).is_none());
        // A corrupt entry: a miss, not a crash.
        std::fs::write(&cache.path, b"zz\n{").expect("write");
        let reopened = RootCache::new(dir.path().join("c"), [1; 32], key());
        assert!(reopened.lookup(inputs, &mut fresh, |_| None).is_none());
        assert!(
            dir.path().join("c/.gitignore").is_file(),
            "the folder keeps itself out of git"
        );
    }
}
