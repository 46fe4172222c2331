//! SQLite's memory from the program's allocator (mimalloc) instead of the
//! C library's `malloc`, configured before SQLite initializes.
//!
//! Why: a `diff` of a large schema takes most of its page faults in
//! SQLite's allocations (its parsed schema, its page cache, the in-memory
//! databases that check the model): `malloc` grows its heap four KiB at a
//! time, and a fault costs about two microseconds here, where mimalloc
//! takes whole huge pages (docs/performance.md). SQLite's
//! `SQLITE_CONFIG_MALLOC` hands it the five functions below
//! (sqlite.org/c3ref/mem_methods.html).

use std::alloc::{alloc, dealloc, realloc, Layout};
use std::ffi::{c_int, c_void};

use rusqlite::ffi;

/// Each block starts with its size: SQLite asks a block's size back
/// (`xSize`), and Rust's allocator needs it to free. Eight bytes keep the
/// 8-byte alignment SQLite requires of what it is given.
const HEADER: usize = 8;

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    let Some(layout) = usize::try_from(n).ok().and_then(layout) else { return std::ptr::null_mut() };
    // SAFETY: the layout's size is at least HEADER, never zero.
    let base = unsafe { alloc(layout) };
    if base.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: `base` holds HEADER + n bytes, aligned for a usize.
    unsafe {
        base.cast::<usize>().write(n as usize);
        base.add(HEADER).cast()
    }
}

/// The block's start and its layout, from what SQLite holds.
///
/// # Safety
/// `p` came from `x_malloc` or `x_realloc` and is not freed.
unsafe fn block(p: *mut c_void) -> (*mut u8, Layout) {
    // SAFETY: the caller's promise: HEADER bytes before `p` hold the size.
    let base = unsafe { p.cast::<u8>().sub(HEADER) };
    let size = unsafe { base.cast::<usize>().read() };
    (base, layout(size).expect("a size that was allocated"))
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: SQLite frees only what it was given, once.
    unsafe {
        let (base, layout) = block(p);
        dealloc(base, layout);
    }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    if p.is_null() {
        // SAFETY: as `x_malloc`.
        return unsafe { x_malloc(n) };
    }
    let Some(new) = usize::try_from(n).ok().and_then(layout) else { return std::ptr::null_mut() };
    // SAFETY: `p` is a live block of ours; the new size is not zero.
    unsafe {
        let (base, old) = block(p);
        let moved = realloc(base, old, new.size());
        if moved.is_null() {
            return std::ptr::null_mut();
        }
        moved.cast::<usize>().write(n as usize);
        moved.add(HEADER).cast()
    }
}

unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    if p.is_null() {
        return 0;
    }
    // SAFETY: `p` is a live block of ours; its size came from a c_int.
    unsafe { p.cast::<u8>().sub(HEADER).cast::<usize>().read() as c_int }
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    n.saturating_add(7) & !7
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// Gives SQLite the program's allocator. Called first thing in `main`,
/// before any connection opens (SQLite copies the methods).
pub fn use_program_allocator() {
    let methods = ffi::sqlite3_mem_methods {
        xMalloc: Some(x_malloc),
        xFree: Some(x_free),
        xRealloc: Some(x_realloc),
        xSize: Some(x_size),
        xRoundup: Some(x_roundup),
        xInit: Some(x_init),
        xShutdown: Some(x_shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: before SQLite initializes and before any other thread
    // exists; SQLITE_CONFIG_MALLOC takes a pointer to the methods.
    unsafe {
        ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const ffi::sqlite3_mem_methods);
    }
}
