//! exfilwatch finds bulk data theft in the access logs of third-party (vendor) platforms.
//!
//! Data flows through the modules in order:
//! [`ingest`] (vendor records -> one canonical event table, via [`formats`]) ->
//! [`features`] (per-account windows and baselines) -> [`detect`] (scores with evidence) ->
//! [`alert`] (records and renderings). [`eval`] scores alerts against labelled incidents. [`cli`] is the only module that knows about flags, and the
//! only one that prints. See ARCHITECTURE.md.

pub mod alert;
pub mod cli;
pub mod config;
pub mod deliver;
pub mod detect;
pub mod eval;
pub mod features;
pub mod formats;
pub mod generate;
pub mod ingest;
pub mod policy;
pub mod state;
