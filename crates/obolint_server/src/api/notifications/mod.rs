//! Notifications: the client tells the server what changed. Most of them update the open
//! documents and mark roots dirty; the main loop checks the dirty roots once the messages already
//! waiting are applied.

mod cancel;
mod did_change;
mod did_change_configuration;
mod did_change_notebook;
mod did_change_watched_files;
mod did_close;
mod did_close_notebook;
mod did_open;
mod did_open_notebook;
mod did_save;
mod initialized;

pub(super) use cancel::cancel;
pub(super) use did_change::did_change;
pub(super) use did_change_configuration::did_change_configuration;
pub(super) use did_change_notebook::did_change_notebook;
pub(super) use did_change_watched_files::did_change_watched_files;
pub(super) use did_close::did_close;
pub(super) use did_close_notebook::did_close_notebook;
pub(super) use did_open::did_open;
pub(super) use did_open_notebook::did_open_notebook;
pub(super) use did_save::did_save;
pub(super) use initialized::initialized;
