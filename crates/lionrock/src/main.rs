//! The `lionrock` binary: parses the command line and hands over to `cli::run`.

fn main() -> std::process::ExitCode {
    lionrock::cli::main()
}
