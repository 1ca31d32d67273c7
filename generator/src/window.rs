//! How many `listIndexes` calls the generator keeps in flight, chosen from what the server
//! answers.
//!
//! Overlapping calls hides round trips to a distant server, but a server that answers from one
//! core only gets busier when calls overlap: the test server's CPU doubles with eight in flight,
//! and the generator ends up slower than reading one collection after the other. Neither
//! window suits both, so the window is measured: it starts at one call, and doubles while a
//! doubled window completes collections clearly faster than the last one did. The first
//! doubling that does not pay is undone and the window stays there for the rest of the run.
//! Results still come back in collection order whatever the window, so the output never
//! depends on it.

use std::time::{Duration, Instant};

/// The largest window: the driver's default pool holds ten connections, and past eight the
/// round trips of a distant server are already hidden.
pub(crate) const MAX: usize = 8;

/// Completions timed per window size: enough to average out one slow answer.
const SAMPLE: usize = 32;

/// How much faster (collections per second) a doubled window must be to be kept.
const GAIN: f64 = 1.2;

/// The window and the measurement of its current size.
#[derive(Debug)]
pub(crate) struct Window {
    size: usize,
    /// Completions still to ignore before timing: the calls started under the previous size,
    /// and the new connections a larger window opens.
    warm_up: usize,
    /// When the current sample started, once warmed up.
    started: Option<Instant>,
    done: usize,
    /// Collections per second at the last size kept.
    kept_rate: Option<f64>,
    settled: bool,
}

impl Window {
    pub(crate) fn new() -> Self {
        Self {
            size: 1,
            // The first answer includes opening the connection.
            warm_up: 1,
            started: None,
            done: 0,
            kept_rate: None,
            settled: false,
        }
    }

    /// How many calls may be in flight now.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// One call completed at `now`.
    pub(crate) fn completed(&mut self, now: Instant) {
        if self.settled {
            return;
        }
        if self.warm_up > 0 {
            self.warm_up -= 1;
            if self.warm_up == 0 {
                self.started = Some(now);
            }
            return;
        }
        self.done += 1;
        if self.done < SAMPLE {
            return;
        }
        let started = self.started.expect("a sample starts once warmed up");
        let rate = rate(self.done, now.saturating_duration_since(started));
        match self.kept_rate {
            Some(kept) if rate < kept * GAIN => {
                // Doubling did not pay: back to the size that was kept.
                self.size /= 2;
                self.settled = true;
            }
            _ if self.size >= MAX => {
                self.settled = true;
            }
            _ => {
                self.kept_rate = Some(rate);
                self.size *= 2;
                self.warm_up = self.size;
                self.started = None;
                self.done = 0;
            }
        }
    }
}

/// Completions per second; a sample too fast for the clock counts as infinitely fast.
fn rate(done: usize, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        f64::from(u32::try_from(done).unwrap_or(u32::MAX)) / secs
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a window whose server answers in `answer(size)` per call when `size` calls
    /// overlap, for `calls` calls, and returns the sizes it went through.
    fn drive(calls: usize, answer: impl Fn(usize) -> Duration) -> Vec<usize> {
        let mut window = Window::new();
        let mut now = Instant::now();
        let mut sizes = vec![window.size()];
        for _ in 0..calls {
            // `size` calls overlapping complete one per answer time divided by the overlap.
            let size = u32::try_from(window.size()).expect("small window");
            now += answer(window.size()) / size;
            window.completed(now);
            if sizes.last() != Some(&window.size()) {
                sizes.push(window.size());
            }
        }
        sizes
    }

    #[test]
    fn a_single_core_server_keeps_one_call_in_flight() {
        // Each call takes the server's whole attention: overlap makes every call slower.
        let sizes = drive(2_000, |size| {
            Duration::from_micros(200 * u64::try_from(size).expect("small"))
                + Duration::from_micros(30)
        });
        assert_eq!(sizes, vec![1, 2, 1]);
    }

    #[test]
    fn a_distant_server_grows_the_window_to_the_maximum() {
        // A millisecond of network per call, a few microseconds of server work: overlap hides
        // the round trips, so every doubling pays.
        let sizes = drive(2_000, |_| Duration::from_millis(1));
        assert_eq!(sizes, vec![1, 2, 4, 8]);
    }

    #[test]
    fn growth_stops_where_doubling_stops_paying() {
        // Overlap helps up to four calls, then the server saturates.
        let sizes = drive(2_000, |size| {
            Duration::from_millis(1) * u32::try_from(size.saturating_sub(3).max(1)).expect("small")
        });
        assert_eq!(sizes, vec![1, 2, 4, 8, 4]);
    }

    #[test]
    fn few_collections_never_leave_the_first_window() {
        let sizes = drive(SAMPLE, |_| Duration::from_millis(1));
        assert_eq!(sizes, vec![1]);
    }

    #[test]
    fn a_settled_window_stays_when_the_server_speeds_up() {
        let mut window = Window::new();
        let mut now = Instant::now();
        // The same rate at every size: the first doubling does not pay.
        while !window.settled {
            now += Duration::from_micros(100);
            window.completed(now);
        }
        assert_eq!(window.size(), 1);
        for _ in 0..1_000 {
            now += Duration::from_nanos(1);
            window.completed(now);
        }
        assert_eq!(window.size(), 1);
    }
}
