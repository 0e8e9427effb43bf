//! Edit helpers the rules' fixes build on (the fix loop that applies them is `fix/`).

pub mod imports;
