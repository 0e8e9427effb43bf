//! When checks run, and which answers wait for them.
//!
//! Every change marks the root of the changed file dirty. The main loop applies every message
//! already waiting before it calls [`Scheduler::flush`], so a burst of keystrokes costs one check:
//! each dirty root gets a new revision and one [`Job`] for the checking thread
//! ([`crate::worker`]), with every open buffer. A report is accepted only if it is for the newest
//! revision asked for its root; an older one describes text that no longer exists. Requests that
//! need fresh findings (pull diagnostics, code actions) wait here as [`WaitingRequest`]s until
//! their roots are fresh; the handlers in [`crate::api`] answer them.
//!
//! This module only keeps the books (it reads no documents and sends nothing to the client), so
//! the revision logic is tested on its own below.

use std::path::{Path, PathBuf};

use crossbeam_channel::Sender;
use lsp_server::RequestId;
use lsp_types::{CodeActionParams, PreviousResultId, Uri};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::worker::Job;

/// The checks of one root, by revision.
#[derive(Clone, Copy, Debug, Default)]
struct Revisions {
    /// The newest check asked for.
    wanted: u64,
    /// The check whose report was accepted last.
    done: u64,
}

impl Revisions {
    /// Whether the newest check asked for has reported.
    fn is_done(self) -> bool {
        self.done == self.wanted
    }
}

/// A request that needs the findings of the current text, held until they are in.
#[derive(Debug)]
pub(crate) enum WaitingRequest {
    /// `textDocument/diagnostic`.
    DocumentDiagnostic {
        id: RequestId,
        uri: Uri,
        previous: Option<String>,
    },
    /// `workspace/diagnostic`; also held while nothing changed (a long poll).
    WorkspaceDiagnostic {
        id: RequestId,
        previous: Vec<PreviousResultId>,
    },
    /// `textDocument/codeAction`.
    CodeAction {
        id: RequestId,
        params: CodeActionParams,
    },
}

impl WaitingRequest {
    pub(crate) fn id(&self) -> &RequestId {
        match self {
            WaitingRequest::DocumentDiagnostic { id, .. }
            | WaitingRequest::WorkspaceDiagnostic { id, .. }
            | WaitingRequest::CodeAction { id, .. } => id,
        }
    }
}

pub(crate) struct Scheduler {
    /// The checking thread's queue.
    jobs: Sender<Job>,
    /// The last revision handed out; one counter for every root, so it only grows.
    revision: u64,
    /// Every root being checked (one with open documents), with its revisions.
    roots: FxHashMap<PathBuf, Revisions>,
    /// Roots changed since the last flush.
    dirty: FxHashSet<PathBuf>,
    /// Requests waiting for fresh findings, oldest first.
    waiting: Vec<WaitingRequest>,
    /// Findings may change without an edit from the client (configuration, files on disk): pull
    /// clients are asked to pull again once the new findings are in.
    refresh_wanted: bool,
}

impl Scheduler {
    pub(crate) fn new(jobs: Sender<Job>) -> Self {
        Self {
            jobs,
            revision: 0,
            roots: FxHashMap::default(),
            dirty: FxHashSet::default(),
            waiting: Vec::new(),
            refresh_wanted: false,
        }
    }

    /// Something in `root` changed (no root: a document that is not a file, nothing to check).
    pub(crate) fn mark_dirty(&mut self, root: Option<&PathBuf>) {
        if let Some(root) = root {
            self.roots.entry(root.clone()).or_default();
            self.dirty.insert(root.clone());
        }
    }

    /// The settings may have changed: check every root again.
    pub(crate) fn mark_all_dirty(&mut self) {
        self.refresh_wanted = true;
        self.dirty.extend(self.roots.keys().cloned());
    }

    /// The file at `path` (canonical) changed on disk: check every root that holds it.
    pub(crate) fn mark_dirty_holding(&mut self, path: &Path) {
        let roots: Vec<PathBuf> = self
            .roots
            .keys()
            .filter(|root| path.starts_with(root))
            .cloned()
            .collect();
        self.refresh_wanted |= !roots.is_empty();
        self.dirty.extend(roots);
    }

    /// No document of `root` is open any more: stop checking it, and drop its report when it
    /// comes.
    pub(crate) fn forget(&mut self, root: &Path) {
        self.roots.remove(root);
        self.dirty.remove(root);
    }

    /// Starts a check of every dirty root. `sources` (the open buffers) is called only when
    /// there is something to check.
    pub(crate) fn flush(&mut self, sources: impl FnOnce() -> FxHashMap<PathBuf, String>) {
        if self.dirty.is_empty() {
            return;
        }
        let sources = sources();
        let dirty: Vec<PathBuf> = self.dirty.drain().collect();
        for root in dirty {
            self.revision += 1;
            let revision = self.revision;
            self.roots.entry(root.clone()).or_default().wanted = revision;
            let job = Job {
                root,
                revision,
                sources: sources.clone(),
            };
            if self.jobs.send(job).is_err() {
                eprintln!("obolint server: the checking thread is gone");
            }
        }
    }

    /// A check of `root` at `revision` finished. `true` when its report is for the newest check
    /// asked for (it is then the root's current report); `false` when a newer edit overtook it or
    /// the root was forgotten.
    pub(crate) fn accept(&mut self, root: &Path, revision: u64) -> bool {
        match self.roots.get_mut(root) {
            Some(revisions) if revisions.wanted == revision => {
                revisions.done = revision;
                true
            }
            _ => false,
        }
    }

    /// Whether the findings of `root` describe the current text: no change waits for a flush and
    /// the newest check has reported. Documents without a root have nothing to wait for.
    pub(crate) fn is_fresh(&self, root: Option<&PathBuf>) -> bool {
        root.is_none_or(|root| {
            !self.dirty.contains(root) && self.roots.get(root).is_none_or(|r| r.is_done())
        })
    }

    /// Whether the findings of every root are fresh.
    pub(crate) fn all_fresh(&self) -> bool {
        self.roots.keys().all(|root| self.is_fresh(Some(root)))
    }

    /// Whether pull clients should be asked to pull again when findings change.
    pub(crate) fn refresh_wanted(&self) -> bool {
        self.refresh_wanted
    }

    /// Once every root's newest check has reported, no refresh is owed any more.
    pub(crate) fn settle_refresh(&mut self) {
        if self.roots.values().all(|r| r.is_done()) {
            self.refresh_wanted = false;
        }
    }

    /// Holds `request` until its findings are fresh.
    pub(crate) fn wait(&mut self, request: WaitingRequest) {
        self.waiting.push(request);
    }

    /// Every waiting request, oldest first; those that still cannot be answered are given back
    /// with [`Scheduler::wait`].
    pub(crate) fn take_waiting(&mut self) -> Vec<WaitingRequest> {
        std::mem::take(&mut self.waiting)
    }

    /// Stops waiting for the request `id`, if it waits.
    pub(crate) fn cancel(&mut self, id: &RequestId) -> Option<WaitingRequest> {
        let at = self.waiting.iter().position(|w| w.id() == id)?;
        Some(self.waiting.remove(at))
    }
}

#[cfg(test)]
mod tests {
    use crossbeam_channel::{Receiver, unbounded};

    use super::*;

    fn scheduler() -> (Scheduler, Receiver<Job>) {
        let (sender, jobs) = unbounded();
        (Scheduler::new(sender), jobs)
    }

    fn root(name: &str) -> PathBuf {
        PathBuf::from(format!("/work/{name}"))
    }

    fn no_sources() -> FxHashMap<PathBuf, String> {
        FxHashMap::default()
    }

    fn waiting(id: i32) -> WaitingRequest {
        WaitingRequest::WorkspaceDiagnostic {
            id: RequestId::from(id),
            previous: Vec::new(),
        }
    }

    #[test]
    fn changes_before_a_flush_cost_one_check() {
        let (mut scheduler, jobs) = scheduler();
        let a = root("a");
        scheduler.mark_dirty(Some(&a));
        scheduler.mark_dirty(Some(&a));
        scheduler.mark_dirty(None);
        assert!(!scheduler.is_fresh(Some(&a)));
        scheduler.flush(no_sources);
        let job = jobs.try_recv().expect("one job");
        assert_eq!((job.root.as_path(), job.revision), (a.as_path(), 1));
        assert!(jobs.try_recv().is_err(), "only one job");
        assert!(!scheduler.is_fresh(Some(&a)), "checking");
        assert!(scheduler.accept(&a, 1));
        assert!(scheduler.is_fresh(Some(&a)));
    }

    #[test]
    fn a_flush_with_nothing_dirty_reads_no_sources() {
        let (mut scheduler, jobs) = scheduler();
        scheduler.flush(|| unreachable!("nothing to check"));
        assert!(jobs.try_recv().is_err());
    }

    #[test]
    fn a_report_overtaken_by_an_edit_is_dropped() {
        let (mut scheduler, jobs) = scheduler();
        let a = root("a");
        scheduler.mark_dirty(Some(&a));
        scheduler.flush(no_sources);
        scheduler.mark_dirty(Some(&a));
        scheduler.flush(no_sources);
        let revisions: Vec<u64> = jobs.try_iter().map(|j| j.revision).collect();
        assert_eq!(revisions, vec![1, 2]);
        assert!(!scheduler.accept(&a, 1), "stale");
        assert!(!scheduler.is_fresh(Some(&a)));
        assert!(scheduler.accept(&a, 2));
        assert!(scheduler.is_fresh(Some(&a)));
    }

    #[test]
    fn revisions_grow_across_roots() {
        let (mut scheduler, jobs) = scheduler();
        let (a, b) = (root("a"), root("b"));
        scheduler.mark_dirty(Some(&a));
        scheduler.mark_dirty(Some(&b));
        scheduler.flush(no_sources);
        let jobs: Vec<Job> = jobs.try_iter().collect();
        let mut revisions: Vec<u64> = jobs.iter().map(|j| j.revision).collect();
        revisions.sort_unstable();
        assert_eq!(revisions, vec![1, 2]);
        assert!(!scheduler.all_fresh());
        for job in &jobs {
            assert!(scheduler.accept(&job.root, job.revision));
        }
        assert!(scheduler.all_fresh());
    }

    #[test]
    fn a_forgotten_root_is_not_checked_and_its_report_is_dropped() {
        let (mut scheduler, jobs) = scheduler();
        let a = root("a");
        scheduler.mark_dirty(Some(&a));
        scheduler.flush(no_sources);
        scheduler.mark_dirty(Some(&a));
        scheduler.forget(&a);
        scheduler.flush(no_sources);
        assert_eq!(
            jobs.try_iter().count(),
            1,
            "the second change is not checked"
        );
        assert!(!scheduler.accept(&a, 1));
        assert!(scheduler.is_fresh(Some(&a)), "nothing to wait for");
        assert!(scheduler.all_fresh());
    }

    #[test]
    fn documents_without_a_root_are_always_fresh() {
        let (scheduler, _jobs) = scheduler();
        assert!(scheduler.is_fresh(None));
        assert!(scheduler.all_fresh());
    }

    #[test]
    fn changes_outside_the_editor_ask_pull_clients_to_refresh() {
        let (mut scheduler, jobs) = scheduler();
        let (a, b) = (root("a"), root("b"));
        scheduler.mark_dirty(Some(&a));
        scheduler.mark_dirty(Some(&b));
        scheduler.flush(no_sources);
        let first: Vec<Job> = jobs.try_iter().collect();
        for job in &first {
            assert!(scheduler.accept(&job.root, job.revision));
        }
        assert!(!scheduler.refresh_wanted(), "edits from the client");

        scheduler.mark_dirty_holding(Path::new("/elsewhere/x.py"));
        assert!(!scheduler.refresh_wanted(), "not in any root");
        assert!(scheduler.all_fresh());

        scheduler.mark_dirty_holding(&a.join("pkg/x.py"));
        assert!(scheduler.refresh_wanted());
        assert!(!scheduler.is_fresh(Some(&a)));
        assert!(scheduler.is_fresh(Some(&b)));
        scheduler.flush(no_sources);
        let job = jobs.try_recv().expect("a check of a");
        assert_eq!(job.root, a);
        scheduler.settle_refresh();
        assert!(scheduler.refresh_wanted(), "a's check is not in yet");
        assert!(scheduler.accept(&a, job.revision));
        scheduler.settle_refresh();
        assert!(!scheduler.refresh_wanted());

        scheduler.mark_all_dirty();
        assert!(scheduler.refresh_wanted());
        assert!(!scheduler.is_fresh(Some(&a)) && !scheduler.is_fresh(Some(&b)));
        scheduler.flush(no_sources);
        assert_eq!(jobs.try_iter().count(), 2);
    }

    #[test]
    fn waiting_requests_keep_their_order_and_can_be_canceled() {
        let (mut scheduler, _jobs) = scheduler();
        for id in 1..=3 {
            scheduler.wait(waiting(id));
        }
        let canceled = scheduler.cancel(&RequestId::from(2)).expect("waiting");
        assert_eq!(canceled.id(), &RequestId::from(2));
        assert!(scheduler.cancel(&RequestId::from(2)).is_none());
        let ids: Vec<RequestId> = scheduler
            .take_waiting()
            .iter()
            .map(|w| w.id().clone())
            .collect();
        assert_eq!(ids, vec![RequestId::from(1), RequestId::from(3)]);
        assert!(scheduler.take_waiting().is_empty());
    }
}
