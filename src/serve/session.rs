//! A live session: one experiment trained step by step on its own thread by the same
//! `Trainer` as `gdlab train`, driven by controls (play, pause, step, reset, learning rate,
//! speed) and reporting each metrics row as a JSON event to its subscribers.

use super::classroom::Student;
use super::fair::Share;
use crate::config::Activation;
use crate::gradient::{backprop::Layer, host_layers};
use crate::train::experiment::Experiment;
use crate::train::{Record, StopReason, Trainer};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Fastest a session plays, in updates per second: 8 sessions at this pace keep a 2-core
/// machine responsive.
pub const MAX_SPEED: f64 = 200.0;
/// Events kept for a subscriber that joins late (the page's curve is rebuilt from them).
const HISTORY: usize = 5000;

#[derive(Debug)]
pub enum Control {
    Play,
    Pause,
    Step,
    Reset,
    /// A new learning rate from the next update on.
    Lr(f64),
    /// Updates per second while playing (capped at `MAX_SPEED`).
    Speed(f64),
    /// The model's current layers on the host (the page's decision boundary and weights).
    Layers(tokio::sync::oneshot::Sender<Vec<Layer>>),
    Close,
}

/// One event of the stream: a metrics row, or the end of the run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    Row {
        step: usize,
        epoch: usize,
        #[serde(with = "crate::nonfinite")]
        loss: f64,
        #[serde(with = "crate::nonfinite")]
        val_loss: Option<f64>,
        #[serde(with = "crate::nonfinite")]
        accuracy: Option<f64>,
        #[serde(with = "crate::nonfinite")]
        grad_norm: Option<f64>,
        lr: f64,
        /// Parameter values when there are at most 8 (names in the session's `params`).
        #[serde(with = "crate::nonfinite")]
        params: Vec<f64>,
        #[serde(with = "crate::nonfinite")]
        predicted_dc: Option<f64>,
        #[serde(with = "crate::nonfinite")]
        actual_dc: Option<f64>,
    },
    End {
        step: usize,
        stop: StopReason,
    },
    /// The session started again from its first parameters.
    Reset,
}

impl From<&Record> for Event {
    fn from(r: &Record) -> Self {
        Event::Row {
            step: r.step,
            epoch: r.epoch,
            loss: r.loss,
            val_loss: r.val_loss,
            accuracy: r.accuracy,
            grad_norm: r.grad_norm,
            lr: r.lr,
            params: r.params.clone(),
            predicted_dc: r.predicted_dc,
            actual_dc: r.actual_dc,
        }
    }
}

/// What the views need of a session's experiment without asking its thread.
pub struct View {
    pub hidden: Activation,
    pub output: Activation,
    /// Inputs per row.
    pub dims: usize,
    /// The first training rows (model input space, row-major), for the decision map's extent.
    pub x: Vec<f64>,
}

/// Where a session stands, for the teacher's view: kept as its events go out.
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub step: usize,
    pub loss: f64,
    /// The loss curve so far, thinned to at most `CURVE` points (every `stride`-th row).
    pub curve: Vec<f64>,
    stride: usize,
    rows: usize,
    pub playing: bool,
    pub stop: Option<StopReason>,
}

/// Points of a session's loss curve the teacher's view gets.
pub const CURVE: usize = 120;

impl Status {
    fn see(&mut self, e: &Event) {
        match e {
            Event::Row { step, loss, .. } => {
                self.step = *step;
                self.loss = *loss;
                if self.rows.is_multiple_of(self.stride.max(1)) {
                    self.curve.push(*loss);
                    if self.curve.len() >= CURVE {
                        // Every other point, and half as many from now on.
                        self.curve = self.curve.iter().step_by(2).copied().collect();
                        self.stride = self.stride.max(1) * 2;
                    }
                }
                self.rows += 1;
            }
            Event::End { stop, .. } => {
                self.stop = Some(*stop);
                self.playing = false;
            }
            Event::Reset => *self = Status::default(),
        }
    }

    /// playing, paused, ended or diverged (a loss that is no longer a number counts as
    /// diverged before the trainer says so).
    pub fn word(&self) -> &'static str {
        match self.stop {
            Some(StopReason::Diverged) => "diverged",
            Some(_) => "ended",
            None if self.rows > 0 && !self.loss.is_finite() => "diverged",
            None if self.playing => "playing",
            None => "paused",
        }
    }
}

/// Whose a session is and where it was opened: the teacher's view and the limits read these.
#[derive(Clone, Default)]
pub struct Owner {
    /// The student (in a classroom; `None` for the local user and the teacher).
    pub student: Option<Arc<Student>>,
    /// The page that opened it (`parabola`, `lab`, ...), as the page said.
    pub page: String,
}

/// The server's side of a session: where controls go and events come from.
pub struct Session {
    pub id: u64,
    pub owner: Owner,
    /// The config it runs (TOML, resolved).
    pub config: String,
    pub param_names: Vec<String>,
    pub view: View,
    controls: Mutex<Sender<Control>>,
    pub events: tokio::sync::broadcast::Sender<String>,
    history: Mutex<Vec<String>>,
    /// Open event streams; a session nobody watches is dropped after a while.
    pub watchers: AtomicUsize,
    pub last_seen: Mutex<Instant>,
    /// The learning rate the next update uses.
    lr: Mutex<f64>,
    status: Mutex<Status>,
}

impl Session {
    /// Starts the session's thread on a prepared experiment; `share` (in a classroom) keeps
    /// its updates within its student's fair share of the machine.
    pub fn start(id: u64, owner: Owner, config: String, exp: Experiment, share: Option<Share>) -> Arc<Self> {
        let (tx, rx) = std::sync::mpsc::channel();
        let (events, _) = tokio::sync::broadcast::channel(1024);
        let session = Arc::new(Self {
            id,
            owner,
            config,
            param_names: exp.param_names.clone(),
            view: View {
                hidden: exp.loaded.spec.model.hidden(),
                output: exp.loaded.spec.model.output(),
                dims: exp.splits.train.dims(),
                x: exp.splits.train.x[..exp.splits.train.dims() * exp.splits.train.len().min(super::views::MAX_POINTS)].to_vec(),
            },
            controls: Mutex::new(tx),
            events,
            history: Mutex::new(Vec::new()),
            watchers: AtomicUsize::new(0),
            last_seen: Mutex::new(Instant::now()),
            lr: Mutex::new(exp.settings.descent.lr),
            status: Mutex::new(Status::default()),
        });
        let weak = Arc::downgrade(&session);
        std::thread::spawn(move || drive(exp, rx, share, |e| weak.upgrade().is_some_and(|s| s.publish(e))));
        session
    }

    /// Sends a control; false when the session's thread has ended.
    pub fn control(&self, c: Control) -> bool {
        if let (Control::Lr(x), Ok(mut lr)) = (&c, self.lr.lock()) {
            *lr = *x;
        }
        if let Ok(mut st) = self.status.lock() {
            match c {
                Control::Play => st.playing = st.stop.is_none(),
                Control::Pause | Control::Step | Control::Reset => st.playing = false,
                _ => {}
            }
        }
        self.controls.lock().is_ok_and(|tx| tx.send(c).is_ok())
    }

    pub fn lr(&self) -> f64 {
        self.lr.lock().map_or(f64::NAN, |lr| *lr)
    }

    pub fn status(&self) -> Status {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn publish(&self, e: &Event) -> bool {
        if let Ok(mut st) = self.status.lock() {
            st.see(e);
        }
        let Ok(json) = serde_json::to_string(e) else { return false };
        // Kept and sent under the history's lock, so a subscriber gets each event exactly once.
        let Ok(mut h) = self.history.lock() else { return false };
        if h.len() >= HISTORY {
            h.drain(..HISTORY / 2);
        }
        h.push(json.clone());
        // No receiver is fine: the history keeps the events for the next one.
        let _ = self.events.send(json);
        true
    }

    /// The events so far and a receiver for the next ones (subscribed under the history's lock,
    /// so none is missed or repeated).
    pub fn subscribe(&self) -> (Vec<String>, tokio::sync::broadcast::Receiver<String>) {
        match self.history.lock() {
            Ok(h) => (h.clone(), self.events.subscribe()),
            Err(_) => (Vec::new(), self.events.subscribe()),
        }
    }

    pub fn touch(&self) {
        if let Ok(mut t) = self.last_seen.lock() {
            *t = Instant::now();
        }
    }

    pub fn watched(&self) -> bool {
        self.watchers.load(Ordering::Relaxed) > 0
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.control(Control::Close);
    }
}

/// Keeps a session's updates apart: at least 1/MAX_SPEED, however the controls come (play or
/// step sent again and again), and in a classroom at least its fair share's pause.
struct Pacer {
    last: Instant,
    /// What an update costs, smoothed.
    cost: Duration,
    share: Option<Share>,
}

impl Pacer {
    fn wait(&self) {
        let mut gap = Duration::from_secs_f64(1.0 / MAX_SPEED);
        if let Some(share) = &self.share {
            gap = gap.max(share.least_gap(self.cost));
        }
        let due = self.last + gap;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }

    fn took(&mut self, started: Instant) {
        self.last = Instant::now();
        self.cost = (self.cost * 4 + (self.last - started)) / 5;
    }

    fn playing(&mut self, on: bool) {
        if let Some(share) = &mut self.share {
            share.set_playing(on);
        }
    }
}

/// The session's thread: a trainer stepped on demand. `emit` returns false once nobody
/// holds the session (then the thread ends).
fn drive(exp: Experiment, rx: Receiver<Control>, share: Option<Share>, emit: impl Fn(&Event) -> bool) {
    let fresh = || exp.trainer();
    let mut trainer = fresh();
    let mut lr = exp.settings.descent.lr;
    let mut playing = false;
    let mut speed = 20.0f64;
    let mut ended = false;
    let mut next_due = Instant::now();
    let advance = |trainer: &mut Trainer, ended: &mut bool| -> bool {
        if *ended {
            return true;
        }
        let s = trainer.step(false);
        let mut alive = true;
        if let Some(r) = &s.record {
            alive &= emit(&Event::from(r));
        }
        if let Some(stop) = s.stop {
            *ended = true;
            alive &= emit(&Event::End { step: trainer.step_count(), stop });
        }
        alive
    };
    // Step 0: the starting point, so a page shows it before play.
    let mut pacer = Pacer { last: Instant::now(), cost: Duration::ZERO, share };
    let started = Instant::now();
    if !advance(&mut trainer, &mut ended) {
        return;
    }
    pacer.took(started);
    let paced = |trainer: &mut Trainer, ended: &mut bool, pacer: &mut Pacer| -> bool {
        pacer.wait();
        let started = Instant::now();
        let alive = advance(trainer, ended);
        pacer.took(started);
        alive
    };
    loop {
        let wait = if playing && !ended { next_due.saturating_duration_since(Instant::now()) } else { Duration::from_secs(3600) };
        let control = match rx.recv_timeout(wait) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let alive = match control {
            Some(Control::Close) => return,
            Some(Control::Play) => {
                // Already playing: keep the schedule (a repeated play is not an extra update).
                if !playing {
                    playing = true;
                    next_due = Instant::now();
                }
                true
            }
            Some(Control::Pause) => {
                playing = false;
                true
            }
            Some(Control::Step) => {
                playing = false;
                paced(&mut trainer, &mut ended, &mut pacer)
            }
            Some(Control::Reset) => {
                trainer = fresh();
                trainer.set_lr(lr);
                ended = false;
                playing = false;
                emit(&Event::Reset) && paced(&mut trainer, &mut ended, &mut pacer)
            }
            Some(Control::Lr(x)) => {
                lr = x;
                trainer.set_lr(x);
                true
            }
            Some(Control::Speed(s)) => {
                speed = s.clamp(0.1, MAX_SPEED);
                true
            }
            Some(Control::Layers(reply)) => {
                // The asker may have gone; nothing to do then.
                let _ = reply.send(host_layers(trainer.model()));
                true
            }
            None => {
                next_due = Instant::now() + Duration::from_secs_f64(1.0 / speed);
                paced(&mut trainer, &mut ended, &mut pacer)
            }
        };
        if !alive {
            return;
        }
        if ended {
            playing = false;
        }
        pacer.playing(playing);
    }
}
