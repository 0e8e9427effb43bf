//! What several rules share and no analysis needs: the OBO201-OBO203 check, and the OBO3xx
//! helpers that find a model's policy and write a new one.

pub mod apps;
pub mod client_takers;
pub mod policy;
