//! Colour on a terminal: the words a reader looks for first (diverged, failed, a claim that
//! does not hold) in red, their good counterparts in green. Decided once, by the CLI, from
//! `--color never|auto|always` and `NO_COLOR` (no-color.org); files never get colour, only
//! what is printed.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static ON: AtomicBool = AtomicBool::new(false);

/// `--color`: `auto` colours when stdout is a terminal and `NO_COLOR` is unset or empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum When {
    Never,
    Auto,
    Always,
}

/// Sets whether printed text is coloured, for the rest of the process.
pub fn choose(when: When) {
    let on = match when {
        When::Always => true,
        When::Never => false,
        When::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            !no_color && !dumb && std::io::stdout().is_terminal()
        }
    };
    ON.store(on, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// `text` in red (bold) when colour is on.
pub fn bad(text: &str) -> String {
    paint(text, "1;31")
}

/// `text` in green when colour is on.
pub fn good(text: &str) -> String {
    paint(text, "32")
}

/// `text` in yellow when colour is on.
pub fn warn(text: &str) -> String {
    paint(text, "33")
}

fn paint(text: &str, code: &str) -> String {
    if enabled() { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
}

/// A stop word as a table or summary shows it: diverged and failed stand out.
pub fn stop_word(word: &str) -> String {
    match word {
        "diverged" | "failed" | "killed" => bad(word),
        "running" | "interrupted" => warn(word),
        _ => word.to_string(),
    }
}
