//! The `autogen` binary: parse the command line, run the command, map the
//! outcome to an exit code. Everything else is in the library.

mod cli;
mod meter;

fn main() -> std::process::ExitCode {
    cli::run()
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
