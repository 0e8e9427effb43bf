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
