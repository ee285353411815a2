fn main() {
    std::process::exit(gdlab::cli::main());
}
