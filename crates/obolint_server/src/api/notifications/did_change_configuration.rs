//! `workspace/didChangeConfiguration`: obolint takes no settings from the client (they come from
//! the configuration files), but a change there may follow one on disk: every root is checked
//! again.

use crate::schedule::Scheduler;

pub(crate) fn did_change_configuration(scheduler: &mut Scheduler) {
    scheduler.mark_all_dirty();
}
