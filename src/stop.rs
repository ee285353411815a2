//! Stop signals during work that can block: reading a data set may wait forever (a FIFO, a
//! stalled network disk), and a read(2) restarted after a signal never looks at the stop flag.
//! The work runs on its own thread while the caller watches the flag; on a stop the command
//! ends with the signal's exit code and the thread is left to the process's exit. Nothing is
//! written before the data is read, so nothing is left half-written.

use crate::error::GdlabError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the flag is looked at while the work runs.
const POLL: Duration = Duration::from_millis(50);

/// Runs `work` and returns its result, or `GdlabError::Interrupted` as soon as `interrupt` is
/// set, whether or not the work has finished.
pub fn interruptible<T: Send + 'static>(
    interrupt: &AtomicBool,
    what: &'static str,
    work: impl FnOnce() -> Result<T, GdlabError> + Send + 'static,
) -> Result<T, GdlabError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("interruptible".into())
        // The main thread's stack size: the work is what main would otherwise run.
        .stack_size(8 << 20)
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(GdlabError::io(format!("cannot start {what}")))?;
    loop {
        if interrupt.load(Ordering::Relaxed) {
            return Err(GdlabError::Interrupted(what));
        }
        match rx.recv_timeout(POLL) {
            Ok(result) => return result,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(GdlabError::Runtime(format!("{what} stopped without an answer (a panic; please report it)")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_ends_the_wait_for_work_that_never_finishes() {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            s.store(true, Ordering::Relaxed);
        });
        let started = std::time::Instant::now();
        let r: Result<(), _> = interruptible(&stop, "a test", || {
            std::thread::sleep(Duration::from_secs(3600));
            Ok(())
        });
        assert!(matches!(r, Err(GdlabError::Interrupted("a test"))));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(interruptible(&AtomicBool::new(false), "sum", || Ok(2 + 2)).unwrap(), 4);
    }
}
