//! The integration tests that run the real `gdlab` binary on real configs (and a few library
//! checks that need no f64 device), as one test binary: one link instead of one per file. The
//! gradient agreement tests stay apart (tests/gradients_f32.rs, gradients_f64.rs), one dtype per
//! process, because burn fixes a device's dtype once per process.

mod common;
#[path = "../seeded/mod.rs"]
mod seeded;

mod anywhere;
mod backends;
mod bad_input;
mod browser;
mod classroom;
mod first_hour;
mod fuzz;
mod gradcheck;
mod integrity;
mod json;
mod lecture;
mod limits;
mod mlp;
mod promises;
mod reliability;
mod resume;
mod serve;
mod serve_promises;
mod slurm;
mod sweep;
mod tools;
mod train;
