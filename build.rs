// Records the burn version from Cargo.lock so run summaries can say which burn ran them, and
// embeds every shipped config under configs/ (so `gdlab list` and the lecture find them
// anywhere, and a new config needs no registration).
fn main() {
    embed_configs();
    embed_datasets();
    embed_report();
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
    // The backends this build has: flex and ndarray always, the rest by cargo feature.
    let mut backends = vec!["flex", "ndarray"];
    for (feature, name) in [("CARGO_FEATURE_WGPU", "wgpu"), ("CARGO_FEATURE_CUDA", "cuda"), ("CARGO_FEATURE_REMOTE", "remote")] {
        if std::env::var_os(feature).is_some() {
            backends.push(name);
        }
    }
    println!("cargo:rustc-env=GDLAB_BACKENDS={}", backends.join(", "));
}

/// Writes `$OUT_DIR/shipped.rs`: one `Shipped` per configs/**/*.toml, sorted by path.
fn embed_configs() {
    println!("cargo:rerun-if-changed=configs");
    let mut paths = Vec::new();
    let mut stack = vec![std::path::PathBuf::from("configs")];
    while let Some(dir) = stack.pop() {
        println!("cargo:rerun-if-changed={}", dir.display());
        for entry in std::fs::read_dir(&dir).expect("configs/ is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                paths.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    paths.sort();
    let mut code = String::from("pub const SHIPPED: &[Shipped] = &[\n");
    for p in &paths {
        code += &format!("    Shipped {{ path: {p:?}, text: include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/\", {p:?})) }},\n");
    }
    code += "];\n";
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("shipped.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

/// Writes `$OUT_DIR/datasets.rs`: one `Dataset` per data/*.csv, sorted by name, so
/// `data.dataset = "iris"` reads the same bytes wherever gdlab runs.
fn embed_datasets() {
    println!("cargo:rerun-if-changed=data");
    let mut names: Vec<String> = std::fs::read_dir("data")
        .expect("data/ is readable")
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".csv")).map(str::to_string))
        .collect();
    names.sort();
    let mut code = String::from("pub const DATASETS: &[Dataset] = &[\n");
    for n in &names {
        let p = format!("data/{n}.csv");
        println!("cargo:rerun-if-changed={p}");
        code += &format!("    Dataset {{ name: {n:?}, csv: include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/\", {p:?})) }},\n");
    }
    code += "];\n";
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("datasets.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}

/// Writes `$OUT_DIR/report.rs`: the committed lecture report (artifacts/lecture/index.html and
/// its PNG figures), which `gdlab serve` shows at /report/ so that each live-lab page links to
/// its section. A checkout without the report builds with none (the route then says so).
fn embed_report() {
    let dir = std::path::Path::new("artifacts/lecture");
    println!("cargo:rerun-if-changed=artifacts/lecture");
    println!("cargo:rerun-if-changed=artifacts/lecture/figures");
    let mut files = Vec::new();
    if dir.join("index.html").is_file() {
        files.push("index.html".to_string());
    }
    for entry in std::fs::read_dir(dir.join("figures")).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".png") {
            files.push(format!("figures/{name}"));
        }
    }
    files.sort();
    let mut code = String::from("pub const REPORT: &[(&str, &[u8])] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed=artifacts/lecture/{f}");
        code += &format!("    ({f:?}, include_bytes!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/artifacts/lecture/\", {f:?}))),\n");
    }
    code += "];\n";
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("report.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
