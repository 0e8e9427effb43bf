//! Syntax trees in arenas.
//!
//! A parse allocates a node at a time (a `Box` per expression, a vector per body), and a tree is
//! freed a node at a time: in a run where nearly every file is parsed, the allocator's `malloc`
//! and `free` were about a tenth of the CPU. Ruff's tree types allocate through the global
//! allocator, so they cannot be handed an arena the way oxc's are; instead the command line's
//! global allocator is [`TreeAlloc`], which serves the small allocations of a parse
//! ([`in_arena`]) by bumping a pointer through chunks of a page, taken from the wrapped allocator
//! and owned by that parse. Freeing such a block costs a look at a bitmap of pages and nothing
//! else (its leaves are mapped as the heap reaches their part of the address space, so a limit on
//! the address space, `ulimit -v`, loses nothing to it); the
//! chunks go back to the wrapped allocator when the parsed file is dropped ([`Arena`]), so that
//! memory freed by trees and by everything else is one pool, as before.
//!
//! What keeps it sound:
//! - Only the parser runs in an arena (the call of `ruff_python_parser` in [`crate::parse`]).
//!   What the run keeps of a parse besides its tree (syntax errors, comments) is copied out after
//!   the arena is left; the tree stays in the [`ParsedSource`](crate::ParsedSource) that owns the
//!   arena, which hands out references only, and drops its tree before its arena.
//! - A long name is shared by its clones (Ruff's `Name` counts references), so a statement kept
//!   after its tree is dropped is copied with names of its own
//!   ([`owned_import`](crate::parse::owned_import)); no clone of any part of a tree may outlive
//!   it (a tree freed whole frees its names whatever their count of references).
//! - Blocks larger than [`SMALL`] (the token vector, a long body) come from the wrapped allocator
//!   and go back to it, arena or not: a bitmap of the pages that are chunks says which.
//! - The parser initialises no global state (no lazily built static), so nothing allocated in an
//!   arena outlives the tree.
//! - A panic in the parser leaks the arena's chunks rather than reusing them: what the unwinding
//!   carries may point into them.
//! - Without [`enable`] (tests, the library used on its own), every allocation goes to the
//!   wrapped allocator.
//!
//! A tree is freed whole ([`Arena::free_with`]) when every block of it is known: those in chunks,
//! and those the parse took from the wrapped allocator, which it records (in an array of the
//! thread's, forgetting them as they are freed while it runs or under [`Arena::noting_frees`],
//! which then copies the records into the arena). A tree with a block that may not be known, or
//! that was freed unnoted, is freed a node at a time. (Ruff joins an implicitly concatenated
//! string literal's parts when first read, after the parse: [`crate::parse`] joins them during
//! it, so that the joined text is in the arena.)
//!
//! Files under 2 KiB (their tree would leave most of its chunk unused) and files with a syntax
//! error (what follows the error is dropped, and would stay allocated in an arena) are parsed
//! outside arenas ([`crate::parse`]).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

/// The global allocator of the command line: `A` (mimalloc), with a parse's small blocks in
/// arenas.
pub struct TreeAlloc<A>(pub A);

/// A chunk: one page, so that the unused end of a file's last chunk stays small (a tree lives as
/// long as its root is analysed, beside every other file's).
const CHUNK: usize = 4 << 10;
const CHUNK_SHIFT: u32 = CHUNK.trailing_zeros();
/// The largest block served from an arena; larger ones come from the wrapped allocator.
pub const SMALL: usize = 256;
/// A chunk starts with the address of the arena's previous chunk (0 for its first).
const HEADER: usize = 16;
/// Addresses below this (47 bits, the user space of x86-64 and AArch64 with 4-level tables)
/// may be chunks; a chunk the wrapped allocator places higher is given back unused.
const ADDRESSES: usize = 1 << 47;
/// The bitmap of the pages that are chunks is in leaves of [`LEAF_BITS`] bits (128 KiB, for
/// 4 GiB of address space), mapped when a chunk is first placed in their part of the address
/// space (a heap spans one or two); the table of leaves is static.
const LEAF_SHIFT: u32 = 20;
const LEAF_BITS: usize = 1 << LEAF_SHIFT;
const LEAVES: usize = (ADDRESSES >> CHUNK_SHIFT) >> LEAF_SHIFT;
const CHUNK_LAYOUT: Layout = match Layout::from_size_align(CHUNK, CHUNK) {
    Ok(layout) => layout,
    Err(_) => panic!("a chunk is a page"),
};

static ENABLED: AtomicBool = AtomicBool::new(false);
/// The leaves of the bitmap (null: no chunk in that part of the address space yet).
static LEAF: [AtomicPtr<AtomicU64>; LEAVES] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; LEAVES];

thread_local! {
    /// The arena this thread allocates in: its newest chunk (0: none), where the next block goes
    /// and where that chunk ends. Constant-initialised cells: reading them never allocates.
    static HEAD: Cell<usize> = const { Cell::new(0) };
    static CURSOR: Cell<usize> = const { Cell::new(0) };
    static END: Cell<usize> = const { Cell::new(0) };
    /// The records of the arena this thread allocates in, or whose frees it notes
    /// ([`Arena::noting_frees`]): an array of this thread's, used again by each parse.
    static RECORDS: Cell<Records> = const { Cell::new(Records::NONE) };
    /// The arena (its first chunk) whose records [`RECORDS`] holds (0: none).
    static OWNER: Cell<usize> = const { Cell::new(0) };
    /// Gives [`RECORDS`]' array back when the thread ends (a run's pool of threads ends with
    /// each check, and the language server checks again and again).
    static RECORDS_FREED_AT_EXIT: FreeRecords = const { FreeRecords };
    /// Whether frees are noted in [`RECORDS`] (inside an arena, and in [`Arena::noting_frees`]).
    static NOTING: Cell<bool> = const { Cell::new(false) };
    /// Whether a block of this thread's arena came from the wrapped allocator unrecorded.
    static UNRECORDED: Cell<bool> = const { Cell::new(false) };
}

/// Frees the thread's records array (see [`RECORDS_FREED_AT_EXIT`]).
struct FreeRecords;

impl Drop for FreeRecords {
    fn drop(&mut self) {
        let records = RECORDS.replace(Records::NONE);
        if records.at != 0 {
            // SAFETY: the thread's array, allocated by the wrapped allocator with the layout of
            // its capacity; the global allocator hands a block outside every chunk to it.
            unsafe { std::alloc::dealloc(records.at as *mut u8, Records::layout(records.cap)) };
        }
    }
}

/// A block a parse took from the wrapped allocator (larger than [`SMALL`], or more aligned than
/// a chunk's blocks) and has not freed.
#[derive(Clone, Copy)]
struct Record {
    ptr: usize,
    /// The block's size and alignment (a block of 4 GiB or more is not recorded: its parse's
    /// tree is freed a node at a time).
    size: u32,
    align: u32,
}

/// The records of the parse a thread runs: an array from the wrapped allocator, the thread's own
/// and used again by every parse it runs (so that no parse leaves a small array among the blocks
/// it frees), in no order; a freed block's record is replaced by the last. Once the parse's
/// tokens are gone, its records are copied into its arena ([`Arena::noting_frees`]).
#[derive(Clone, Copy, Debug)]
struct Records {
    at: usize,
    len: usize,
    cap: usize,
}

impl Records {
    const NONE: Records = Records {
        at: 0,
        len: 0,
        cap: 0,
    };

    fn layout(cap: usize) -> Layout {
        Layout::array::<Record>(cap).unwrap_or(Layout::new::<Record>())
    }

    fn all(&self) -> &[Record] {
        if self.at == 0 {
            return &[];
        }
        // SAFETY: `len` records, written in an array of `cap` that only this thread uses.
        unsafe { std::slice::from_raw_parts(self.at as *const Record, self.len) }
    }

    fn all_mut(&mut self) -> &mut [Record] {
        if self.at == 0 {
            return &mut [];
        }
        // SAFETY: as in `all`, and `self` is the one copy in use.
        unsafe { std::slice::from_raw_parts_mut(self.at as *mut Record, self.len) }
    }

    /// Forgets the block at `ptr` (freed), or notes where it moved (`to`, resized to `size`).
    fn moved(&mut self, ptr: usize, to: Option<(usize, usize)>) {
        let all = self.all_mut();
        let Some(at) = all.iter().rposition(|record| record.ptr == ptr) else {
            return;
        };
        if let Some((to, size)) = to {
            all[at].ptr = to;
            match u32::try_from(size) {
                Ok(size) => {
                    all[at].size = size;
                    return;
                }
                // Too large to record: forgotten, and the tree freed a node at a time.
                Err(_) => UNRECORDED.set(true),
            }
        }
        // Its place goes to the last record.
        let last = all.len() - 1;
        all.swap(at, last);
        self.len -= 1;
    }

    /// [`Records::moved`] on this thread's records, if frees are being noted.
    fn note(ptr: usize, to: Option<(usize, usize)>) {
        if NOTING.get() {
            let mut records = RECORDS.get();
            records.moved(ptr, to);
            RECORDS.set(records);
        }
    }
}

/// From now on [`in_arena`] allocates in arenas. Call it once, from the binary whose global
/// allocator is [`TreeAlloc`], before anything is parsed.
pub fn enable() {
    if cfg!(all(unix, target_pointer_width = "64")) {
        ENABLED.store(true, Ordering::Release);
    }
}

/// The slot of the leaf for the page of `addr`, if the bitmap covers it.
#[inline]
fn leaf_slot(addr: usize) -> Option<&'static AtomicPtr<AtomicU64>> {
    (addr < ADDRESSES).then(|| &LEAF[(addr >> CHUNK_SHIFT) >> LEAF_SHIFT])
}

/// The bitmap's word and bit for the page of `addr`, if its leaf is mapped.
#[inline]
fn bit(addr: usize) -> Option<(&'static AtomicU64, u64)> {
    let leaf = leaf_slot(addr)?.load(Ordering::Acquire);
    if leaf.is_null() {
        return None;
    }
    let at = (addr >> CHUNK_SHIFT) & (LEAF_BITS - 1);
    // SAFETY: a mapped leaf has a word for each 64 of its pages, lives as long as the process,
    // and is only accessed atomically.
    let word = unsafe { &*leaf.add(at >> 6) };
    Some((word, 1 << (at & 63)))
}

/// [`bit`], mapping the leaf first if need be (`None` if it cannot be mapped).
fn bit_mapping(addr: usize) -> Option<(&'static AtomicU64, u64)> {
    let slot = leaf_slot(addr)?;
    if slot.load(Ordering::Acquire).is_null() {
        let leaf = map_leaf()?;
        if slot
            .compare_exchange(
                std::ptr::null_mut(),
                leaf,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // Another thread mapped it first.
            unmap_leaf(leaf);
        }
    }
    bit(addr)
}

#[cfg(all(unix, target_pointer_width = "64"))]
fn map_leaf() -> Option<*mut AtomicU64> {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing; it reads as
    // zeros.
    let leaf = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            LEAF_BITS / 8,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    (leaf != libc::MAP_FAILED).then_some(leaf.cast())
}

#[cfg(all(unix, target_pointer_width = "64"))]
fn unmap_leaf(leaf: *mut AtomicU64) {
    // SAFETY: a leaf this thread mapped and never published.
    unsafe { libc::munmap(leaf.cast(), LEAF_BITS / 8) };
}

#[cfg(not(all(unix, target_pointer_width = "64")))]
fn map_leaf() -> Option<*mut AtomicU64> {
    None
}

#[cfg(not(all(unix, target_pointer_width = "64")))]
fn unmap_leaf(_: *mut AtomicU64) {}

/// Whether `ptr` points into a chunk of an arena.
#[inline]
pub fn holds(ptr: *const u8) -> bool {
    bit(ptr as usize).is_some_and(|(word, mask)| word.load(Ordering::Acquire) & mask != 0)
}

/// A chunk from `alloc` (the wrapped allocator), marked as a chunk.
fn new_chunk(alloc: impl FnOnce(Layout) -> *mut u8, free: impl FnOnce(*mut u8)) -> Option<usize> {
    let chunk = alloc(CHUNK_LAYOUT);
    if chunk.is_null() {
        return None;
    }
    let Some((word, mask)) = bit_mapping(chunk as usize) else {
        free(chunk);
        return None;
    };
    word.fetch_or(mask, Ordering::Release);
    Some(chunk as usize)
}

/// A chunk taken outside every arena (the global allocator hands it to the wrapped one).
fn chunk_outside_arenas() -> Option<usize> {
    // SAFETY (both closures): a chunk's layout is valid and not zero-sized.
    new_chunk(
        |layout| unsafe { std::alloc::alloc(layout) },
        |chunk| unsafe { std::alloc::dealloc(chunk, CHUNK_LAYOUT) },
    )
}

/// The chunks of one parse. Dropping it gives them back to the wrapped allocator: only once
/// nothing points into them (the tree is dropped first).
#[derive(Debug)]
pub struct Arena {
    /// The newest chunk; each starts with the address of the one before (0 after the first).
    head: usize,
    /// The first chunk, which names the arena while the thread's records are its.
    first: usize,
    /// Where the parse left off in its newest chunk, and where that chunk ends.
    cursor: usize,
    end: usize,
    /// The first [`Page`] of records, once they are copied into the arena (0: none).
    pages: usize,
    /// Whether the records are in the arena (`pages`).
    sealed: bool,
    /// Whether every block of the parse is in a chunk or recorded, and no block recorded was freed
    /// without the records knowing: then a tree is freed with [`Arena::free_with`].
    whole: bool,
}

/// Records in an arena: a block of a chunk holding how many records follow it, and where the
/// next such block is.
#[repr(C)]
struct Page {
    next: usize,
    len: usize,
}

/// How many records a page at `at` holds if it may extend to `end`.
fn page_room(at: usize, end: usize) -> usize {
    end.saturating_sub(at + size_of::<Page>()) / size_of::<Record>()
}

impl Arena {
    /// Whether [`Arena::free_with`] frees the tree whole (every block of it known, the records in
    /// the arena).
    pub fn is_whole(&self) -> bool {
        self.whole && self.sealed
    }

    /// Whether the `len` bytes at `ptr` are in a block of this arena: in one of its chunks, or
    /// in a block it recorded and that is still allocated.
    pub fn contains(&self, ptr: *const u8, len: usize) -> bool {
        if holds(ptr) {
            return true;
        }
        // A recorded block is larger than `SMALL`; half as many bytes (a name, with its count of
        // references) come in a smaller one, outside the records.
        if len < SMALL / 2 {
            return false;
        }
        if !self.sealed {
            // Not known yet: as if it were.
            return true;
        }
        let ptr = ptr as usize;
        self.records()
            .any(|record| (record.ptr..record.ptr + record.size as usize).contains(&ptr))
    }

    /// The records copied into the arena.
    fn records(&self) -> impl Iterator<Item = &Record> {
        let mut page = self.pages;
        std::iter::from_fn(move || {
            if page == 0 {
                return None;
            }
            // SAFETY: a page of this arena's, in one of its chunks (still allocated): a `Page`
            // followed by `len` records.
            let records = unsafe {
                let header = &*(page as *const Page);
                let records = std::slice::from_raw_parts(
                    (page + size_of::<Page>()) as *const Record,
                    header.len,
                );
                page = header.next;
                records
            };
            Some(records)
        })
        .flatten()
    }

    /// Copies the thread's records of this arena into it, in pages: the end of its newest chunk,
    /// then chunks of their own.
    fn seal(&mut self) {
        self.sealed = true;
        let records = RECORDS.get();
        let mut all = records.all();
        let mut last: Option<usize> = None;
        let mut at = (self.cursor + 7) & !7;
        let mut end = self.end;
        while !all.is_empty() {
            let mut room = page_room(at, end);
            if room == 0 {
                let Some(chunk) = chunk_outside_arenas() else {
                    self.whole = false;
                    return;
                };
                // SAFETY: the new chunk is this arena's; it links to its newest chunk.
                unsafe { *(chunk as *mut usize) = self.head };
                self.head = chunk;
                at = chunk + HEADER;
                end = chunk + CHUNK;
                room = page_room(at, end);
            }
            let (these, rest) = all.split_at(room.min(all.len()));
            // SAFETY: `at` is 8-aligned room in a chunk of this arena's, unused, for a page and
            // `these.len()` records.
            unsafe {
                (at as *mut Page).write(Page {
                    next: 0,
                    len: these.len(),
                });
                std::ptr::copy_nonoverlapping(
                    these.as_ptr(),
                    (at + size_of::<Page>()) as *mut Record,
                    these.len(),
                );
                match last {
                    Some(previous) => (*(previous as *mut Page)).next = at,
                    None => self.pages = at,
                }
            }
            last = Some(at);
            at += size_of::<Page>() + std::mem::size_of_val(these);
            all = rest;
        }
    }

    /// From now on a tree of this arena is freed a node at a time (part of it was, so the
    /// records are out of date).
    pub fn forget_records(&mut self) {
        self.whole = false;
    }

    /// Runs `f` on this thread noting the frees of this arena's recorded blocks (what the parse
    /// returns besides its tree, dropped after the arena is left: its tokens), then copies the
    /// records into the arena. Called once, on the thread that parsed, before anything else is
    /// parsed there: otherwise the tree will be freed a node at a time.
    pub fn noting_frees<R>(&mut self, f: impl FnOnce() -> R) -> R {
        /// Stops noting, on a panic too.
        struct Stop;
        impl Drop for Stop {
            fn drop(&mut self) {
                NOTING.set(false);
                UNRECORDED.set(false);
                OWNER.set(0);
            }
        }
        if NOTING.get() || self.sealed || OWNER.get() != self.first {
            // Inside another arena (never: parses are not nested), or the thread's records are
            // not this arena's.
            self.whole = false;
            return f();
        }
        NOTING.set(true);
        UNRECORDED.set(false);
        let stop = Stop;
        let result = f();
        if UNRECORDED.get() {
            self.whole = false;
        }
        if self.whole {
            self.seal();
        }
        drop(stop);
        result
    }

    /// Frees a tree all at once: `tree` (every block of which is in this arena's chunks or
    /// recorded, [`Arena::is_whole`]) is forgotten, and the recorded blocks still allocated are
    /// freed; the chunks follow when the arena is dropped. Without [`Arena::is_whole`], `tree` is
    /// dropped as usual.
    pub fn free_with<T>(&mut self, tree: T) {
        if !self.whole || !self.sealed {
            drop(tree);
            return;
        }
        std::mem::forget(tree);
        for record in self.records() {
            // SAFETY: a block the wrapped allocator gave the parse, with this layout, not freed
            // yet (its record would be gone), and no longer pointed to: the tree that held it is
            // forgotten. The global allocator hands a block outside every chunk to the wrapped
            // one.
            unsafe {
                std::alloc::dealloc(
                    record.ptr as *mut u8,
                    Layout::from_size_align_unchecked(record.size as usize, record.align as usize),
                );
            }
        }
        self.pages = 0;
        self.whole = false;
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        let mut chunk = self.head;
        while chunk != 0 {
            // SAFETY: the arena's chunks are its own, each starting with the previous one's
            // address; nothing points into them any more.
            let next = unsafe { *(chunk as *const usize) };
            if let Some((word, mask)) = bit(chunk) {
                word.fetch_and(!mask, Ordering::Release);
            }
            // With debug assertions (tests, fuzzing), a freed chunk is overwritten, so that a
            // tree read after its arena is gone reads nonsense rather than its old nodes.
            #[cfg(debug_assertions)]
            // SAFETY: the chunk is still allocated, and nothing points into it any more.
            unsafe {
                std::ptr::write_bytes(chunk as *mut u8, 0xa5, CHUNK);
            }
            // SAFETY: no longer marked, the chunk is freed by the wrapped allocator, with the
            // layout it was allocated with.
            unsafe { std::alloc::dealloc(chunk as *mut u8, CHUNK_LAYOUT) };
            chunk = next;
        }
    }
}

/// Leaves the arena when dropped: on a panic too, without giving its chunks back.
struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        HEAD.set(0);
        CURSOR.set(0);
        END.set(0);
        NOTING.set(false);
        UNRECORDED.set(false);
    }
}

/// Runs `f` (a parse) with its small allocations in a new arena, returned with its result.
/// Without [`enable`], or inside another arena, `f` allocates as usual and no arena is returned.
pub fn in_arena<R>(f: impl FnOnce() -> R) -> (R, Option<Arena>) {
    if !ENABLED.load(Ordering::Acquire) || HEAD.get() != 0 {
        return (f(), None);
    }
    // The thread's records are freed when it ends: registered here, outside the arena, for
    // registering may allocate.
    let _ = RECORDS_FREED_AT_EXIT.try_with(|_| ());
    let Some(chunk) = chunk_outside_arenas() else {
        return (f(), None);
    };
    // SAFETY: the chunk is this arena's; its first word links it to the arena's other chunks.
    unsafe { *(chunk as *mut usize) = 0 };
    HEAD.set(chunk);
    CURSOR.set(chunk + HEADER);
    END.set(chunk + CHUNK);
    // The thread's records, emptied for this parse.
    let mut records = RECORDS.get();
    records.len = 0;
    RECORDS.set(records);
    OWNER.set(chunk);
    NOTING.set(true);
    UNRECORDED.set(false);
    let leave = Leave;
    let result = f();
    let arena = Arena {
        head: HEAD.get(),
        first: chunk,
        cursor: CURSOR.get(),
        end: END.get(),
        pages: 0,
        sealed: false,
        whole: !UNRECORDED.get(),
    };
    drop(leave);
    (result, Some(arena))
}

impl<A: GlobalAlloc> TreeAlloc<A> {
    /// A block of `layout` from this thread's arena, if there is one and the block is small.
    #[inline]
    fn arena_alloc(&self, layout: Layout) -> Option<*mut u8> {
        let head = HEAD.get();
        if head == 0 || layout.size() > SMALL || layout.align() > HEADER {
            return None;
        }
        let align = layout.align();
        let at = (CURSOR.get() + align - 1) & !(align - 1);
        if at + layout.size() <= END.get() {
            CURSOR.set(at + layout.size());
            return Some(at as *mut u8);
        }
        // SAFETY (both closures): a chunk's layout is valid and not zero-sized.
        let chunk = new_chunk(
            |layout| unsafe { self.0.alloc(layout) },
            |chunk| unsafe { self.0.dealloc(chunk, CHUNK_LAYOUT) },
        )?;
        // SAFETY: the new chunk is this arena's; it links to the arena's previous newest chunk.
        unsafe { *(chunk as *mut usize) = head };
        HEAD.set(chunk);
        let at = chunk + HEADER;
        CURSOR.set(at + layout.size());
        END.set(chunk + CHUNK);
        Some(at as *mut u8)
    }

    /// Notes in this thread's arena that `ptr` (a block of `layout` from the wrapped allocator)
    /// is the parse's; outside an arena, nothing.
    #[inline]
    fn record(&self, ptr: *mut u8, layout: Layout) {
        if HEAD.get() == 0 || ptr.is_null() {
            return;
        }
        let (Ok(size), Ok(align)) = (u32::try_from(layout.size()), u32::try_from(layout.align()))
        else {
            UNRECORDED.set(true);
            return;
        };
        let mut records = RECORDS.get();
        if records.len == records.cap {
            // The array grows through the wrapped allocator itself: never in a chunk, never
            // recorded.
            let cap = (records.cap * 2).max(8);
            // SAFETY: array layouts of `Record`s, not zero-sized; the old array is the wrapped
            // allocator's, with the layout of its capacity.
            let at = unsafe {
                if records.at == 0 {
                    self.0.alloc(Records::layout(cap))
                } else {
                    self.0.realloc(
                        records.at as *mut u8,
                        Records::layout(records.cap),
                        Records::layout(cap).size(),
                    )
                }
            };
            if at.is_null() {
                UNRECORDED.set(true);
                return;
            }
            records.at = at as usize;
            records.cap = cap;
        }
        // SAFETY: the array has room for one more record.
        unsafe {
            (records.at as *mut Record).add(records.len).write(Record {
                ptr: ptr as usize,
                size,
                align,
            });
        }
        records.len += 1;
        RECORDS.set(records);
    }
}

// SAFETY: every block is either the wrapped allocator's (allocated, resized and freed by it) or
// in an arena chunk, which no other block overlaps and which is freed only once the arena that
// owns it is dropped, after every block in it.
unsafe impl<A: GlobalAlloc> GlobalAlloc for TreeAlloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.arena_alloc(layout) {
            Some(ptr) => ptr,
            None => {
                // SAFETY: the caller's contract, passed on.
                let ptr = unsafe { self.0.alloc(layout) };
                self.record(ptr, layout);
                ptr
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.arena_alloc(layout) {
            Some(ptr) => {
                // SAFETY: a fresh block of `layout.size()` bytes (a chunk holds old bytes).
                unsafe { std::ptr::write_bytes(ptr, 0, layout.size()) };
                ptr
            }
            None => {
                // SAFETY: the caller's contract, passed on.
                let ptr = unsafe { self.0.alloc_zeroed(layout) };
                self.record(ptr, layout);
                ptr
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !holds(ptr) {
            Records::note(ptr as usize, None);
            // SAFETY: the wrapped allocator's block.
            unsafe { self.0.dealloc(ptr, layout) }
        } else if ptr as usize + layout.size() == CURSOR.get() {
            // The newest block of this thread's arena (a temporary of the parse): its room is
            // used again. (Outside an arena the cursor is 0, which no block ends at.)
            CURSOR.set(ptr as usize);
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !holds(ptr) {
            // SAFETY: the wrapped allocator's block.
            let new = unsafe { self.0.realloc(ptr, layout, new_size) };
            if !new.is_null() {
                Records::note(ptr as usize, Some((new as usize, new_size)));
            }
            return new;
        }
        let newest = ptr as usize + layout.size() == CURSOR.get();
        // A block shrinks where it is (what it gives up is used again only if it is the newest).
        if new_size <= layout.size() {
            if newest {
                CURSOR.set(ptr as usize + new_size);
            }
            return ptr;
        }
        // The newest block grows where it is when its chunk has room.
        if newest && ptr as usize + new_size <= END.get() {
            CURSOR.set(ptr as usize + new_size);
            return ptr;
        }
        // SAFETY: `layout.align()` is a valid alignment and `new_size` the caller's.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: the caller's contract, passed on.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are at least `layout.size()` long and do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
        }
        new
    }
}
