//! The `autogen` binary: parse the command line, run the command, map the
//! outcome to an exit code. Everything else is in the library.

mod cli;
mod meter;
mod sqlite_memory;

fn main() {
    sqlite_without_memory_statistics();
    sqlite_memory::use_program_allocator();
    let status = cli::run();
    exit_now(status)
}

/// Ends the process without the C library's exit handlers. By now every
/// temporary file is removed, every database written to is closed, and the
/// output is flushed here (SQLite registers no exit handler, so a read-only
/// connection left to the exit ends as it did under `exit`); what the
/// handlers would add is mimalloc's collection of every page it holds (it
/// runs at exit when mimalloc is linked in statically), a few milliseconds
/// after a large model (docs/performance.md): the kernel frees the memory
/// anyway.
fn exit_now(status: u8) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    extern "C" {
        /// POSIX `_exit` (also in the Windows C runtime): ends the process
        /// without running `atexit` handlers.
        fn _exit(status: std::os::raw::c_int) -> !;
    }
    // SAFETY: `_exit` takes any int and does not return; nothing of ours
    // is left to run (no destructor is pending above `main`).
    unsafe { _exit(std::os::raw::c_int::from(status)) }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SQLite keeps memory statistics by default (the bundled build does not
/// set SQLITE_DEFAULT_MEMSTATUS=0), which takes a global mutex around
/// every malloc and free, a measurable share of a rebuild-heavy rehearsal
/// (README, "Performance"). autogen reads none of the statistics
/// (nor sets a heap limit, which needs them). `sqlite3_config` works only
/// before SQLite initializes, that is before the first connection opens.
fn sqlite_without_memory_statistics() {
    // SAFETY: called first thing in main, before any other thread or
    // connection exists; SQLITE_CONFIG_MEMSTATUS takes one int.
    unsafe {
        rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int);
    }
}
