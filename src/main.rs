fn main() -> std::process::ExitCode {
    exfilwatch::cli::main()
}
