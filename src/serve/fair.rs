//! A fair share of this machine for each student of a class. Each playing session measures
//! what an update costs it; with k students playing, a student's m playing sessions each get
//! 1/(k·m) of the CPU time sessions may use, so the pause a session keeps between updates is
//! at least cost·k·m / capacity. A student with a heavy model at full speed slows their own
//! sessions, not their classmates'. Students who are not playing take no share, so one
//! student alone has the whole machine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The share of the machine's cores sessions may use together: the rest keeps the server's
/// own threads (streams, controls, the teacher's view) responsive.
const SESSIONS_SHARE: f64 = 0.75;

pub struct Fairness {
    /// Student -> sessions playing now.
    playing: Mutex<HashMap<u64, usize>>,
    /// CPU-seconds per second all sessions together may use.
    capacity: f64,
}

impl Fairness {
    pub fn new() -> Arc<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Arc::new(Self { playing: Mutex::new(HashMap::new()), capacity: cores as f64 * SESSIONS_SHARE })
    }

    fn add(&self, student: u64, delta: isize) {
        if let Ok(mut p) = self.playing.lock() {
            let n = p.entry(student).or_insert(0);
            *n = n.saturating_add_signed(delta);
            if *n == 0 {
                p.remove(&student);
            }
        }
    }

    /// The least pause between a session's updates, for one that costs `cost` each.
    fn least_gap(&self, student: u64, cost: Duration) -> Duration {
        let Ok(p) = self.playing.lock() else { return Duration::ZERO };
        let k = p.len().max(1);
        let m = p.get(&student).copied().unwrap_or(0).max(1);
        cost.mul_f64((k * m) as f64 / self.capacity)
    }
}

/// One session's place in the share: counted as playing while `set(true)`, and no longer
/// once dropped (whichever way the session ends).
pub struct Share {
    fair: Arc<Fairness>,
    student: u64,
    playing: bool,
}

impl Share {
    pub fn new(fair: &Arc<Fairness>, student: u64) -> Self {
        Self { fair: Arc::clone(fair), student, playing: false }
    }

    pub fn set_playing(&mut self, playing: bool) {
        if playing != self.playing {
            self.fair.add(self.student, if playing { 1 } else { -1 });
            self.playing = playing;
        }
    }

    pub fn least_gap(&self, cost: Duration) -> Duration {
        self.fair.least_gap(self.student, cost)
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        self.set_playing(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_student_gets_an_equal_share_whatever_their_sessions() {
        let fair = Arc::new(Fairness { playing: Mutex::new(HashMap::new()), capacity: 1.0 });
        let cost = Duration::from_millis(10);
        let mut a1 = Share::new(&fair, 1);
        a1.set_playing(true);
        // Alone: the whole capacity, one update per cost.
        assert_eq!(a1.least_gap(cost), cost);
        let mut a2 = Share::new(&fair, 1);
        a2.set_playing(true);
        let mut b = Share::new(&fair, 2);
        b.set_playing(true);
        // Two students: a's two sessions share a's half, b's one has b's half.
        assert_eq!(a1.least_gap(cost), cost * 4);
        assert_eq!(b.least_gap(cost), cost * 2);
        drop(a2);
        a1.set_playing(false);
        assert_eq!(b.least_gap(cost), cost);
        assert!(fair.playing.lock().unwrap().get(&1).is_none());
    }
}
