//! What several rules share and no analysis needs: the OBO201-OBO203 check, the OBO3xx
//! helpers that find a model's policy and write a new one, and how OBO207 and OBO601 read
//! `try` statements.

pub mod apps;
pub mod client_takers;
pub mod policy;
pub mod try_blocks;
