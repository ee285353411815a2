fn main() {
    cpu_default_device();
    keep_freed_memory();
    quiet_on_closed_pipe();
    exit_now(gdlab::cli::main());
}

/// Ends the process without running C's atexit handlers. Mesa's Vulkan driver (lavapipe) tears
/// itself down in one while wgpu's threads may still hold it, and after a failed adapter
/// request that aborted 1 run in 40 here ("corrupted size vs. prev_size in fastbins", exit 134)
/// after gdlab had printed its error. Nothing of gdlab's needs them: every file is complete
/// and renamed into place before `cli::main` returns, and stdout and stderr are flushed here.
fn exit_now(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: _exit ends the process at once; nothing after it runs.
    unsafe {
        libc::_exit(code)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    std::process::exit(code)
}

/// glibc's malloc hands buffers over 128 KiB to the kernel when they are freed and page-faults
/// fresh zeroed pages on the next allocation. A training step allocates and frees the same
/// few batch-sized buffers every time (65536 rows: 256 KiB each), so W1 took 28091 page
/// faults for 1200 steps. Serving allocations up to 32 MiB from the heap and trimming it only
/// past 256 MiB of free space lets the next step reuse them: 2017 faults, W1 about 1.05x
/// faster (interleaved runs on a noisy 2-core machine). Peak memory is unchanged (freed memory
/// is reused, not added to).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning parameters; it is called before any
    // thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`gdlab eval RUN | head -1`) makes
/// `println!` panic. Restore the default that command-line tools have: the process ends
/// quietly when its reader has gone.
fn quiet_on_closed_pipe() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: resetting one signal's disposition to the default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// gdlab names every device it uses; burn falls back to `Device::default()` only when it loads
/// an optimiser record (a resumed run's momentum), and a build with a GPU backend makes that the
/// default GPU: resuming a CPU run would open a GPU, or panic on a machine without one. burn
/// reads `BURN_DEVICE` for that default; flex (always built) keeps it on the CPU, and the state
/// moves to the run's device at the next step.
fn cpu_default_device() {
    if std::env::var_os("BURN_DEVICE").is_none() {
        // SAFETY: the first thing main does, before any other thread exists.
        unsafe { std::env::set_var("BURN_DEVICE", "flex") };
    }
}
