// Records the burn version from Cargo.lock so run summaries can say which burn ran them.
fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut version = "unknown".to_string();
    let mut in_burn = false;
    for line in lock.lines() {
        if line == "name = \"burn\"" {
            in_burn = true;
        } else if in_burn && let Some(v) = line.strip_prefix("version = \"") {
            version = v.trim_end_matches('"').to_string();
            break;
        }
    }
    println!("cargo:rustc-env=GDLAB_BURN_VERSION={version}");
}
