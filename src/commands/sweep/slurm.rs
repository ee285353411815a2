//! `gdlab sweep --launcher slurm`: a sweep handed to a Slurm cluster as one job array.
//!
//! Slurm does the scheduling; gdlab writes the plan and a readable batch script
//! (`slurm/sweep.sbatch`, one array task per combination, the array index being the
//! combination's index), submits it with `sbatch` and returns. Each task is an ordinary
//! `gdlab train` into its own run folder, or `gdlab train --resume` of that folder when it is
//! already there, so a task requeued after preemption or a time limit continues from its
//! checkpoint. What a task ended with is read back from its run folder, its exit file
//! (`slurm/task-K.exit`) and its stderr (`slurm/task-K.err`), and from `squeue` while it is
//! queued or running.

use super::{Plan, Ran};
use crate::error::GdlabError;
use crate::run::artifacts::{self, RunState};
use crate::train::StopReason;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `sbatch` is asked for, from `--launcher-config FILE` (a `[slurm]` table) and the flags,
/// the flags winning. Recorded in sweep.json, so `--resume` submits the same way.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmOptions {
    pub partition: Option<String>,
    /// Each task's time limit, as sbatch reads it ("30", "1:30:00", "1-00:00:00").
    pub time: Option<String>,
    pub cpus_per_task: Option<u32>,
    /// Memory per task, as sbatch reads it ("2G").
    pub mem: Option<String>,
    pub account: Option<String>,
    /// Tasks running at once (`--array=...%N`); `--jobs` sets it from the command line.
    pub max_running: Option<usize>,
    /// Seconds before the time limit at which a task is told to stop, checkpoint and requeue.
    pub signal_before: Option<u32>,
    /// Any other sbatch options, one per item ("--qos=short", "--constraint=intel").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sbatch_args: Vec<String>,
}

/// The seconds of warning a task gets before its time limit when `signal_before` is not set:
/// a checkpoint of the networks gdlab trains takes milliseconds, the rest is slack for a busy
/// node and Slurm's own timer, which may send the signal up to a minute late.
pub const SIGNAL_BEFORE: u32 = 120;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LauncherFile {
    slurm: SlurmOptions,
}

impl SlurmOptions {
    /// Reads a launcher file: a `[slurm]` table with the keys above.
    pub fn read(path: &Path) -> Result<Self, GdlabError> {
        let text = std::fs::read_to_string(path).map_err(GdlabError::io(format!("cannot read {}", path.display())))?;
        let file: LauncherFile = toml::from_str(&text).map_err(|e| {
            let at = e.span().map(|s| text[..s.start].matches('\n').count() + 1).map_or_else(String::new, |l| format!(":{l}"));
            GdlabError::Input(format!(
                "{}{at}: {}\n  hint: a launcher file is a [slurm] table with partition, time, cpus_per_task, mem, account, max_running, signal_before and sbatch_args",
                path.display(),
                e.message()
            ))
        })?;
        Ok(file.slurm)
    }

    /// `self` with every option `over` sets replacing this one's (sbatch_args: added).
    pub fn merged(mut self, over: SlurmOptions) -> Self {
        macro_rules! take {
            ($($f:ident),*) => { $(if over.$f.is_some() { self.$f = over.$f; })* };
        }
        take!(partition, time, cpus_per_task, mem, account, max_running, signal_before);
        self.sbatch_args.extend(over.sbatch_args);
        self
    }

    /// The `#SBATCH` options, each value shell-quoted (sbatch reads quotes there).
    fn directives(&self) -> Vec<String> {
        let mut d = Vec::new();
        let mut add = |name: &str, v: &str| d.push(format!("--{name}={}", quote(v)));
        if let Some(p) = &self.partition {
            add("partition", p);
        }
        if let Some(t) = &self.time {
            add("time", t);
        }
        add("cpus-per-task", &self.cpus_per_task.unwrap_or(1).to_string());
        if let Some(m) = &self.mem {
            add("mem", m);
        }
        if let Some(a) = &self.account {
            add("account", a);
        }
        for arg in &self.sbatch_args {
            d.push(match arg.split_once('=') {
                Some((k, v)) => format!("{k}={}", quote(v)),
                None => arg.clone(),
            });
        }
        d
    }

    /// Bad input in the options, found before anything is written: a value that would end
    /// the script's `#SBATCH` line (a control character), an sbatch option that is not one,
    /// a warning before the time limit that leaves no time to train.
    pub fn check_values(&self) -> Result<(), GdlabError> {
        let bad = |key: &str, why: String, hint: &str| GdlabError::Input(format!("--launcher slurm: {key}: {why}\n  hint: {hint}"));
        let values = [("partition", &self.partition), ("time", &self.time), ("mem", &self.mem), ("account", &self.account)];
        for (key, v) in values {
            if let Some(v) = v.as_deref().filter(|v| v.chars().any(char::is_control) || v.is_empty()) {
                return Err(bad(key, format!("{v:?} is empty or holds a control character"), "give the value sbatch expects, on one line"));
            }
        }
        for a in &self.sbatch_args {
            if !a.starts_with('-') || a.chars().any(char::is_control) {
                return Err(bad(
                    "sbatch_args",
                    format!("{a:?} is not one sbatch option"),
                    "give each option as --name=value, e.g. --sbatch-arg=--qos=short",
                ));
            }
        }
        if let (Some(limit), Some(t)) = (self.time.as_deref().and_then(time_limit_seconds), &self.time) {
            let before = u64::from(self.signal_before.unwrap_or(SIGNAL_BEFORE));
            if before >= limit {
                return Err(bad(
                    "time",
                    format!(
                        "a limit of {t} ({limit} s) leaves no time before the warning {before} s ahead of it, so every task would stop and requeue at once"
                    ),
                    "give a longer --time, or a smaller signal_before in the launcher file",
                ));
            }
        }
        Ok(())
    }
}

/// Seconds in an sbatch time limit: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S" (None for
/// what it cannot read, such as "infinite": sbatch judges those).
fn time_limit_seconds(t: &str) -> Option<u64> {
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (d.trim().parse::<u64>().ok()?, r),
        None => (0, t),
    };
    let parts: Vec<u64> = rest.split(':').map(|p| p.trim().parse().ok()).collect::<Option<_>>()?;
    let secs = match (t.contains('-'), parts.as_slice()) {
        (false, [m]) => m * 60,
        (false, [m, s]) => m * 60 + s,
        (_, [h, m, s]) => h * 3600 + m * 60 + s,
        (true, [h]) => h * 3600,
        (true, [h, m]) => h * 3600 + m * 60,
        _ => return None,
    };
    Some(days * 86_400 + secs)
}

/// What sweep.json records of a Slurm sweep: how it was submitted, and each submission.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SlurmRecord {
    pub options: SlurmOptions,
    pub submissions: Vec<Submission>,
}

/// One `sbatch` of the array: its job id and the combinations (array indices) it holds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Submission {
    pub job: u64,
    pub tasks: Vec<usize>,
}

/// The batch script, relative to the sweep folder.
pub const SCRIPT: &str = "slurm/sweep.sbatch";

/// `sbatch`, or exit 2 saying it is missing (before anything is written). `what`: the
/// command that needs it; `otherwise`: what to do instead.
pub fn require_sbatch(what: &str, otherwise: &str) -> Result<PathBuf, GdlabError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join("sbatch")).find(|p| p.is_file()).ok_or_else(|| {
        GdlabError::Input(format!(
            "{what}: `sbatch` is not on the PATH, so there is no Slurm here\n  hint: run this on a machine with Slurm's client commands (sbatch, squeue, scontrol){otherwise}"
        ))
    })
}

/// One shell word. The values reaching here hold no NUL (paths and TOML strings cannot, and
/// `check_values` and `check_paths` refuse control characters first).
fn quote(s: &str) -> String {
    shlex::try_quote(s).map_or_else(|_| "''".to_string(), |q| q.into_owned())
}

/// Paths and overrides that the script writes must stay on their line: refused (exit 2) when
/// they hold a control character such as a newline.
pub fn check_paths(paths: &[&Path], sets: &[String]) -> Result<(), GdlabError> {
    let bad = paths.iter().map(|p| p.display().to_string()).chain(sets.iter().cloned()).find(|v| v.chars().any(char::is_control));
    match bad {
        Some(v) => Err(GdlabError::Input(format!(
            "--launcher slurm: {v:?} holds a control character (a newline?), which a batch script cannot carry\n  hint: rename the folder or file, or drop the character from the value"
        ))),
        None => Ok(()),
    }
}

/// The batch script of a sweep in `dir`: one array task per combination of `plan`.
pub fn script(dir: &Path, plan: &Plan, options: &SlurmOptions, exe: &Path, cwd: &Path, name: &str) -> String {
    let q = |p: &Path| quote(&p.display().to_string());
    let before = options.signal_before.unwrap_or(SIGNAL_BEFORE);
    let mut s = String::new();
    s.push_str("#!/bin/bash\n");
    s.push_str("# gdlab sweep on Slurm, written by `gdlab sweep --launcher slurm`: one array task per\n");
    s.push_str("# combination of the sweep in this folder (sweep.json lists them; the array index is the\n");
    s.push_str("# combination's index). `gdlab sweep --status DIR` reads what the tasks did, and\n");
    s.push_str("# `gdlab sweep --resume DIR --launcher slurm` submits this script again for the combinations\n");
    s.push_str("# that did not finish.\n#\n");
    s.push_str("# A task trains its combination into its own run folder, or continues that folder from its\n");
    s.push_str("# checkpoint when it is already there (a task requeued after preemption or a time limit).\n");
    s.push_str(&format!("# USR1, which Slurm sends {before} s before the time limit, stops the run cleanly (it\n"));
    s.push_str("# writes its checkpoint) and puts the task back in the queue.\n");
    let mut directives = vec![
        format!("--job-name={}", quote(&format!("gdlab-{name}"))),
        format!("--array=0-{}", plan.runs.len().saturating_sub(1)),
        format!("--chdir={}", q(cwd)),
        // sbatch expands % in these names: a % of the folder's own is written %%.
        format!("--output={}", quote(&format!("{}/slurm/task-%a.out", dir.display().to_string().replace('%', "%%")))),
        format!("--error={}", quote(&format!("{}/slurm/task-%a.err", dir.display().to_string().replace('%', "%%")))),
        "--open-mode=append".into(),
        "--ntasks=1".into(),
        "--requeue".into(),
        format!("--signal=B:USR1@{before}"),
    ];
    directives.extend(options.directives());
    for d in directives {
        s.push_str(&format!("#SBATCH {d}\n"));
    }
    s.push_str("set -u\n\n");
    s.push_str(&format!("gdlab={}\nsweep={}\n", q(exe), q(dir)));
    s.push_str(&format!("config={}\n\n", q(&plan.config)));
    s.push_str("case \"${SLURM_ARRAY_TASK_ID:?submit this script with sbatch}\" in\n");
    for (k, job) in plan.runs.iter().enumerate() {
        let sets: Vec<String> = job.sets.iter().flat_map(|s| ["--set".to_string(), quote(s)]).collect();
        s.push_str(&format!("  {k}) run={}; sets=({}) ;;\n", q(&job.out), sets.join(" ")));
    }
    s.push_str("  *) echo \"gdlab: this sweep has no combination $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\n");
    s.push_str("esac\n\n");
    s.push_str(
        r#"task=$SLURM_ARRAY_TASK_ID
exit_file="$sweep/slurm/task-$task.exit"
rm -f "$exit_file"
: >"$sweep/slurm/task-$task.started"
# Each attempt (a requeue starts another) begins its stderr with this line.
echo "gdlab: task $task of job ${SLURM_ARRAY_JOB_ID:-?} starts on $(hostname) at $(date -u +%FT%TZ)" >&2
pid="" requeue=0 stop=0
trap 'requeue=1 stop=1; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null' USR1
trap 'stop=1; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null' TERM INT
if [ -f "$sweep/$run/config.toml" ]; then
  "$gdlab" train --resume "$sweep/$run" --quiet &
else
  "$gdlab" train "$config" --quiet --out "$sweep/$run" "${sets[@]}" &
fi
pid=$!
# A signal that came before the run had started.
[ "$stop" = 1 ] && kill -TERM "$pid" 2>/dev/null
rc=0
wait "$pid" || rc=$?
# A trap ends `wait` early: wait on until the run has written its folder and exited.
while kill -0 "$pid" 2>/dev/null; do rc=0; wait "$pid" || rc=$?; done
# The run's own status, when the trap's `wait` returned first (127: already reported).
wait "$pid" 2>/dev/null
last=$?
[ "$last" -ne 127 ] && rc=$last
# Requeued only when the warning stopped the run (143: it stopped on the TERM sent above);
# a run that finished in the meantime is done.
if [ "$requeue" = 1 ] && [ "$rc" = 143 ] && scontrol requeue "${SLURM_ARRAY_JOB_ID}_$task"; then
  exit "$rc"
fi
echo "$rc" >"$exit_file.tmp" && mv "$exit_file.tmp" "$exit_file"
exit "$rc"
"#,
    );
    s
}

/// The `--array` value for these combinations, `%N` when at most N may run at once.
fn array_spec(tasks: &[usize], max_running: Option<usize>) -> String {
    let list: Vec<String> = tasks.iter().map(usize::to_string).collect();
    match max_running {
        Some(n) => format!("{}%{n}", list.join(",")),
        None => list.join(","),
    }
}

fn sbatch_error(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr);
    let text = text.trim();
    if text.is_empty() { format!("sbatch exited with {}", out.status) } else { text.to_string() }
}

/// Asks the controller whether `script` would be accepted (`sbatch --test-only`), without
/// submitting it: a bad partition, account or time limit is bad input found before anything
/// is written.
pub fn check(script: &str, tasks: &[usize], options: &SlurmOptions) -> Result<(), GdlabError> {
    use std::io::Write;
    let mut child = Command::new("sbatch")
        .arg("--test-only")
        .arg(format!("--array={}", array_spec(tasks, options.max_running)))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(GdlabError::io("cannot run sbatch"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // An sbatch that refuses early closes its input: its own message says why.
        let _ = stdin.write_all(script.as_bytes());
    }
    let out = child.wait_with_output().map_err(GdlabError::io("cannot run sbatch"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(GdlabError::Input(format!(
        "--launcher slurm: Slurm would not take this sweep: {}\n  hint: check the Slurm options (--partition, --time, --account, --mem, --sbatch-arg or the launcher file); `sinfo` lists the partitions",
        sbatch_error(&out)
    )))
}

/// Submits the sweep's script for `tasks`; returns the array's job id.
pub fn submit(dir: &Path, tasks: &[usize], options: &SlurmOptions) -> Result<u64, GdlabError> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .arg(format!("--array={}", array_spec(tasks, options.max_running)))
        .arg(dir.join(SCRIPT))
        .output()
        .map_err(GdlabError::io("cannot run sbatch"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // --parsable prints "JOBID" or "JOBID;CLUSTER".
    match text.trim().split(';').next().and_then(|j| j.parse().ok()) {
        Some(job) if out.status.success() => Ok(job),
        _ => Err(GdlabError::Runtime(format!(
            "sbatch did not submit the sweep: {}\n  hint: once Slurm takes jobs again, submit it with gdlab sweep --resume {} --launcher slurm",
            sbatch_error(&out),
            dir.display()
        ))),
    }
}

/// A task as the queue shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Queued {
    Pending(String),
    Running,
}

/// The combinations of `jobs` that Slurm still holds (pending, running, requeued), by index.
/// A job Slurm no longer knows holds none.
pub fn queue(jobs: &[u64]) -> Result<std::collections::BTreeMap<usize, Queued>, GdlabError> {
    let mut held = std::collections::BTreeMap::new();
    for job in jobs {
        let mut cmd = Command::new("squeue");
        // squeue's SQUEUE_* variables (states, users, partitions, ...) must not hide a task.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("SQUEUE_") {
                cmd.env_remove(k);
            }
        }
        let out = cmd
            .args(["-h", "-r", "-o", "%i|%T|%r", "-j", &job.to_string()])
            .output()
            .map_err(GdlabError::io("cannot run squeue (Slurm's client commands are needed to read a Slurm sweep)"))?;
        if !out.status.success() {
            let e = String::from_utf8_lossy(&out.stderr);
            if e.contains("Invalid job id") {
                continue;
            }
            return Err(GdlabError::Runtime(format!("squeue failed: {}", e.trim())));
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut f = line.trim().split('|');
            let (Some(id), Some(state), reason) = (f.next(), f.next(), f.next()) else { continue };
            let Some(k) = id.split_once('_').and_then(|(_, k)| k.parse::<usize>().ok()) else { continue };
            let q = match state {
                // Ended: what it left is read from its folder and exit file.
                "COMPLETED" | "CANCELLED" | "FAILED" | "TIMEOUT" | "NODE_FAIL" | "PREEMPTED" | "BOOT_FAIL" | "DEADLINE"
                | "OUT_OF_MEMORY" | "REVOKED" => continue,
                "RUNNING" | "COMPLETING" | "CONFIGURING" | "SIGNALING" | "STAGE_OUT" => Queued::Running,
                other => Queued::Pending(match reason.unwrap_or("") {
                    "" | "None" => other.to_lowercase(),
                    r => format!("{}: {r}", other.to_lowercase()),
                }),
            };
            held.insert(k, q);
        }
    }
    Ok(held)
}

/// A combination's state, as `gdlab sweep --status` reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TaskState {
    /// Waiting in Slurm's queue (why, as squeue says it).
    Pending { reason: String },
    /// Training: its last logged step and loss.
    Running { step: Option<usize>, loss: Option<f64> },
    /// Finished: completed, converged or diverged (`stop_reason`).
    Finished { stop_reason: StopReason, steps: usize, loss: f64 },
    /// Stopped before the end (cancelled, preempted, a time limit, a kill): its checkpoint is
    /// at `step`, with the loss logged there; `--resume` continues it.
    Killed { step: Option<usize>, loss: Option<f64> },
    /// Ended without a run to show: its exit code and the end of its stderr.
    Failed { exit_code: i32, stderr: String },
    /// Never started, and not in the queue (cancelled while pending, or never submitted).
    NotRun,
}

impl TaskState {
    pub fn word(&self) -> &'static str {
        match self {
            TaskState::Pending { .. } => "pending",
            TaskState::Running { .. } => "running",
            TaskState::Finished { stop_reason, .. } => stop_reason.word(),
            TaskState::Killed { .. } => "killed",
            TaskState::Failed { .. } => "failed",
            TaskState::NotRun => "not run",
        }
    }

    /// Whether the combination will not change any more without a `--resume`.
    pub fn settled(&self) -> bool {
        !matches!(self, TaskState::Pending { .. } | TaskState::Running { .. })
    }
}

/// The last `lines` lines of a task's stderr file, from its last attempt only (the file is
/// appended to across requeues; the script starts each attempt with a "gdlab: task" line).
fn stderr_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let from = all.iter().rposition(|l| l.starts_with("gdlab: task ")).map_or(0, |k| k + 1);
    let last = &all[from..];
    last[last.len().saturating_sub(lines)..].join("\n")
}

/// The exit code the task's script recorded, if it got that far.
pub fn exit_code(dir: &Path, k: usize) -> Option<i32> {
    std::fs::read_to_string(dir.join(format!("slurm/task-{k}.exit"))).ok()?.trim().parse().ok()
}

/// What a task's script left, before the combination runs again: its exit file and start
/// mark (its logs are kept, and grow).
pub fn forget_exit(dir: &Path, k: usize) {
    let _ = std::fs::remove_file(dir.join(format!("slurm/task-{k}.exit")));
    let _ = std::fs::remove_file(dir.join(format!("slurm/task-{k}.started")));
}

/// Combination `k`'s state, from the queue (`queued`), its run folder and its exit file.
/// `local_busy`: a local sweep's folder is held (it is running, so a run not started yet waits
/// for a job slot).
pub fn state(dir: &Path, plan: &Plan, k: usize, queued: Option<&Queued>, local_busy: bool) -> TaskState {
    let run = dir.join(&plan.runs[k].out);
    let code = exit_code(dir, k);
    match queued {
        Some(Queued::Pending(reason)) => return TaskState::Pending { reason: reason.clone() },
        Some(Queued::Running) => {
            let last = artifacts::last_logged(&run);
            return TaskState::Running { step: last.map(|l| l.0), loss: last.and_then(|l| l.1) };
        }
        None => {}
    }
    let failed = |exit_code: i32| TaskState::Failed { exit_code, stderr: stderr_tail(&dir.join(format!("slurm/task-{k}.err")), 12) };
    match RunState::read(&run) {
        Ok(RunState::Finished(s)) if s.stop_reason == StopReason::Interrupted => TaskState::Killed {
            step: crate::run::checkpoint::read(&run).ok().flatten().map(|(h, _)| h.step),
            loss: Some(s.final_loss).filter(|l| l.is_finite()),
        },
        Ok(RunState::Finished(s)) => TaskState::Finished { stop_reason: s.stop_reason, steps: s.steps, loss: s.final_loss },
        Ok(RunState::Interrupted { step, .. }) => match code {
            Some(c) if c != 0 && !matches!(c, 129 | 130 | 137 | 143) => failed(c),
            _ if plan.slurm.is_none() && artifacts::in_use(&run) => {
                let last = artifacts::last_logged(&run);
                TaskState::Running { step: last.map(|l| l.0), loss: last.and_then(|l| l.1) }
            }
            _ => TaskState::Killed { step, loss: None },
        },
        Err(_) => match code {
            Some(c) => failed(c),
            // Started, but gone before it wrote its run folder or its exit code (a kill, a
            // node lost).
            None if dir.join(format!("slurm/task-{k}.started")).exists() => TaskState::Failed {
                exit_code: 137,
                stderr: format!(
                    "the task ended before it wrote its run folder or its exit code (killed?)\n{}",
                    stderr_tail(&dir.join(format!("slurm/task-{k}.err")), 10)
                ),
            },
            None if plan.slurm.is_none() && local_busy => TaskState::Pending { reason: "waiting for a free job slot".into() },
            None => TaskState::NotRun,
        },
    }
}

/// What the tables are made from for combination `k` in a settled sweep: its exit code and
/// stderr where its script recorded them, "not run" where it never started, and otherwise
/// its run folder alone.
pub fn outcome(dir: &Path, k: usize, state: &TaskState) -> Option<Ran> {
    match (state, exit_code(dir, k)) {
        (TaskState::NotRun, _) => Some(Ran::NotStarted),
        (TaskState::Failed { exit_code, stderr }, _) => Some(Ran::Exited(*exit_code, stderr.clone())),
        (_, Some(code)) => Some(Ran::Exited(code, String::new())),
        (_, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_launcher_file_and_add_sbatch_args() {
        let file = SlurmOptions {
            partition: Some("gpu".into()),
            time: Some("10".into()),
            sbatch_args: vec!["--qos=short".into()],
            ..Default::default()
        };
        let flags = SlurmOptions { time: Some("1:00:00".into()), sbatch_args: vec!["--exclusive".into()], ..Default::default() };
        let m = file.merged(flags);
        assert_eq!(m.partition.as_deref(), Some("gpu"));
        assert_eq!(m.time.as_deref(), Some("1:00:00"));
        assert_eq!(m.sbatch_args, ["--qos=short", "--exclusive"]);
    }

    #[test]
    fn time_limits_read_as_sbatch_reads_them() {
        assert_eq!(time_limit_seconds("30"), Some(1800));
        assert_eq!(time_limit_seconds("1:30"), Some(90));
        assert_eq!(time_limit_seconds("1:00:00"), Some(3600));
        assert_eq!(time_limit_seconds("2-0"), Some(2 * 86_400));
        assert_eq!(time_limit_seconds("1-2:30"), Some(86_400 + 2 * 3600 + 1800));
        assert_eq!(time_limit_seconds("infinite"), None);
        let short = SlurmOptions { time: Some("2".into()), ..Default::default() };
        assert!(short.check_values().unwrap_err().to_string().contains("leaves no time"));
        assert!(SlurmOptions { time: Some("3".into()), ..Default::default() }.check_values().is_ok());
        let odd = SlurmOptions { sbatch_args: vec!["qos=short".into()], ..Default::default() };
        assert!(odd.check_values().unwrap_err().to_string().contains("not one sbatch option"));
        let newline = SlurmOptions { partition: Some("a\nb".into()), ..Default::default() };
        assert!(newline.check_values().unwrap_err().to_string().contains("control character"));
    }

    #[test]
    fn the_array_lists_the_combinations_and_the_limit() {
        assert_eq!(array_spec(&[0, 2, 5], Some(2)), "0,2,5%2");
        assert_eq!(array_spec(&[3], None), "3");
    }

    #[test]
    fn a_launcher_file_with_an_unknown_key_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("slurm.toml");
        std::fs::write(&path, "[slurm]\npartition = \"debug\"\npartitoin = \"x\"\n").unwrap();
        let e = SlurmOptions::read(&path).unwrap_err().to_string();
        assert!(e.contains("slurm.toml:3") && e.contains("partitoin") && e.contains("hint"), "{e}");
    }

    #[test]
    fn values_with_quotes_and_spaces_reach_the_script_as_one_word() {
        assert_eq!(quote("data.dataset=\"diabetes\""), "'data.dataset=\"diabetes\"'");
        assert_eq!(quote("model.layers=[2, 3, 1]"), "'model.layers=[2, 3, 1]'");
        assert_eq!(quote("it's"), "\"it's\"");
    }
}
