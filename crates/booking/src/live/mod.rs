//! Live availability: each centre's free places today and the next days,
//! on a public page and as server-sent events. Here the rules, without
//! I/O: the summary's shape, and how changes are coalesced. One task per
//! programme (`http::Hub`) listens to the event bus, re-reads the summary
//! at most once per `COALESCE` however many bookings arrive and however
//! many people watch, and hands it to every open stream.

pub(crate) mod http;

use std::time::Duration;

use serde::Serialize;

/// Changes arriving within this time are read as one.
pub const COALESCE: Duration = Duration::from_millis(300);
/// A stream ends after this long; the browser's EventSource opens a new
/// one by itself (so no stream outlives a deployment by much).
pub const MAX_STREAM: Duration = Duration::from_secs(600);
/// A comment line this often keeps proxies from closing a quiet stream.
pub const KEEPALIVE: Duration = Duration::from_secs(15);

/// A programme's free places per centre and day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Local days, `YYYY-MM-DD`, from today.
    pub days: Vec<String>,
    pub centres: Vec<CentreFree>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CentreFree {
    pub id: String,
    /// Free places on each of `days`.
    pub free: Vec<i64>,
}

impl Summary {
    /// The free places of `centre` on the `i`th day.
    pub fn free(&self, centre: &str, i: usize) -> i64 {
        self.centres.iter().find(|c| c.id == centre).and_then(|c| c.free.get(i).copied()).unwrap_or(0)
    }
}
