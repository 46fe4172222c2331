//! The `autogen` binary: parse the command line, run the command, map the
//! outcome to an exit code. Everything else is in the library.

mod cli;
mod meter;

fn main() -> std::process::ExitCode {
    sqlite_without_memory_statistics();
    cli::run()
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
