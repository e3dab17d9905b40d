//! The process's memory, on Linux with the GNU C library: large buffers (a window of rows, a
//! row group, a column) get pages of their own that go back to the system when freed, and freed
//! memory is handed back between the stages of a run. Without this the allocator raises its
//! threshold for such pages after the first large free and carves later buffers out of its
//! per-thread heaps, which then stay as big as the largest stage of the run ever needed.

/// Buffers of at least this many bytes get pages of their own. Measured on the 1M-row benchmark
/// (BENCHMARKS.md): 128 KiB kept the peak lowest but cost 2 s in page faults; on a virtual
/// machine where a page fault costs more, 8 MiB spends 0.8 s less in the kernel than 1 MiB
/// (the buffers between 1 and 8 MiB, run windows and columns, are reused instead of mapped and
/// unmapped each time) for about 20 MiB more at the peak.
const OWN_PAGES_FROM: i32 = 8 * 1024 * 1024;

/// Sets the allocator up for a run (call once, at start-up).
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of the allocator.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_PAGES_FROM);
    }
}

/// Hands the memory that a stage freed back to the system.
pub(crate) fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}
