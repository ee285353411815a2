//! Property tests with a seed that is printed and can be given back: each property test draws
//! its cases from one seed, `PROPTEST_RNG_SEED` when set, a fresh one otherwise. The seed goes
//! to stderr, which the test harness shows for a failing test only, with the command to rerun
//! exactly those cases. A failing case is also kept in the test's `.regressions` file, as
//! proptest does.

use proptest::test_runner::{Config, FileFailurePersistence, RngSeed};

pub fn config(cases: u32) -> Config {
    let given = std::env::var("PROPTEST_RNG_SEED").ok();
    let given = given.map(|s| s.parse::<u64>().unwrap_or_else(|e| panic!("PROPTEST_RNG_SEED={s:?} is not a u64 seed: {e}")));
    let seed = given.unwrap_or_else(|| {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(std::time::SystemTime::now())
    });
    let test = std::thread::current().name().unwrap_or("this test").to_string();
    eprintln!(
        "proptest seed {seed}; rerun these cases with PROPTEST_RNG_SEED={seed} scripts/test.sh --test {} -- {test}",
        env!("CARGO_CRATE_NAME")
    );
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}
