//! What the rules and `obolint scopes` ask of the project index, answered once: the dataflow of
//! client identities, the models and their log calls, load vs request time, client uses and the
//! scopes they require, declared scope lists and their verdict, the values of log-call
//! arguments, and the requirements each model runs with. Nothing here knows about rules.

pub mod api_scopes;
pub mod app_scopes;
pub mod apps;
pub mod call_time;
pub mod client_argument;
pub mod dataflow;
pub mod declaration;
pub mod declared_lists;
pub mod forwarded;
pub mod model_requirements;
pub mod models;
pub mod scope_verdict;
pub mod uses;

/// Stack size of the threads that parse and walk syntax trees. Parsing, visiting and dropping a
/// tree recurse once per nesting level; CPython itself gives up long before this is reached, but a
/// generated or hostile file must not crash the run. Stacks are reserved, not committed, so this
/// costs address space only.
pub(crate) const WORKER_STACK: usize = 512 * 1024 * 1024;
