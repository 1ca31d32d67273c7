//! The release binary's one test hook. `LBMONGO_TEST_PAUSE=<point>` stops an update for ten
//! minutes at a named point, so the end-to-end tests can kill it there (`tests/e2e/crash.rs`) or
//! race another tool against it (`tests/e2e/concurrency.rs`). The points:
//!
//! - `lock`: the changelog lock is held, nothing has run yet;
//! - `applied:<path::id::author>`: that changeset's changes ran, its history row is not written;
//! - `recorded:<path::id::author>`: its history row is written.
//!
//! Unset (as for every user), it costs one environment lookup per process.

use executor::Event;

/// Where this process pauses, read once from `LBMONGO_TEST_PAUSE`.
pub(crate) struct PausePoint(Option<String>);

impl PausePoint {
    pub(crate) fn from_env() -> Self {
        Self(std::env::var("LBMONGO_TEST_PAUSE").ok())
    }

    /// Pauses when `event` reaches the configured point.
    pub(crate) fn observe(&self, event: &Event) {
        let Some(point) = &self.0 else {
            return;
        };
        let here = match event {
            Event::LockAcquired(_) => "lock".to_owned(),
            Event::Applied(id) => format!("applied:{id}"),
            Event::Recorded { id, .. } => format!("recorded:{id}"),
            _ => return,
        };
        if *point == here {
            #[expect(clippy::print_stderr, reason = "the tests wait for this line")]
            {
                eprintln!("lbmongo: paused at `{here}`");
            }
            std::thread::sleep(std::time::Duration::from_secs(600));
        }
    }
}
