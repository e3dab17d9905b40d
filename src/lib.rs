//! lgsp-hub: the batch data-sync and master-data hub of a provincial data-sharing platform.
//!
//! Data flow: `source` pulls an agency's data (files, object storage, Excel, JSON, HTTP, SQL)
//! on the `schedule`; `pipeline` (extract → transform → dedupe → changes → publish) writes master
//! records to `store` and published files to `objects`; `catalog` holds the shared code tables
//! pipelines validate against; `text` owns the Vietnamese text rules.

// No `unwrap` on input paths: failures are errors that name what failed. Tests may unwrap.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod access;
pub mod audit;
pub mod backup;
pub mod catalog;
pub mod console;
pub mod contract;
pub mod cron;
pub mod digest;
pub mod entity;
pub mod events;
pub mod http;
pub mod ident;
pub mod matching;
pub mod memory;
pub mod objects;
pub mod outcome;
pub mod parquet_io;
pub mod pipeline;
pub mod progress;
pub mod protect;
pub mod quarantine;
pub mod report;
pub mod schedule;
mod scratch;
pub mod settings;
pub mod sharing;
pub mod source;
pub mod status;
pub mod store;
pub mod subject;
mod text;
pub mod versions;
