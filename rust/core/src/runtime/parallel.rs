//! Deterministic multi-threading: work is cut into fixed chunks of [`CHUNK`] rows, whatever the
//! number of threads, so every row is computed by the same instructions and reductions combine
//! chunk results in a fixed order — results are bit-identical for any thread count.
//!
//! The pool is alvh's own (it does not touch rayon's global pool); its size is the number of
//! available CPUs, capped by the environment variable `ALVH_NUM_THREADS` (read once, at first use).

use std::ops::Range;
use std::sync::OnceLock;

/// Rows per chunk: small enough to balance two to hundreds of threads, large enough to amortise
/// task overhead; inputs no larger than one chunk run serially on the calling thread.
pub const CHUNK: usize = 8192;

/// The number of worker threads alvh uses.
pub fn thread_count() -> usize {
    pool().current_num_threads()
}

fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cap = std::env::var("ALVH_NUM_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok());
        let threads = cap.filter(|&c| c > 0).unwrap_or(available);
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("alvh-{i}"))
            .build()
            .unwrap_or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a one-thread pool"))
    })
}

/// Mutable per-row outputs that can be cut in two at a row (so that chunks can be handed to
/// different threads without copying).
pub trait SplitRows: Sized + Send {
    /// Number of rows.
    fn rows(&self) -> usize;
    /// Rows `[0, mid)` and `[mid, rows)`.
    fn split_rows(self, mid: usize) -> (Self, Self);
}

impl SplitRows for &mut [f64] {
    fn rows(&self) -> usize {
        self.len()
    }
    fn split_rows(self, mid: usize) -> (Self, Self) {
        self.split_at_mut(mid)
    }
}

impl SplitRows for &mut [u8] {
    fn rows(&self) -> usize {
        self.len()
    }
    fn split_rows(self, mid: usize) -> (Self, Self) {
        self.split_at_mut(mid)
    }
}

impl<A: SplitRows, B: SplitRows> SplitRows for (A, B) {
    fn rows(&self) -> usize {
        self.0.rows()
    }
    fn split_rows(self, mid: usize) -> (Self, Self) {
        let (a0, a1) = self.0.split_rows(mid);
        let (b0, b1) = self.1.split_rows(mid);
        ((a0, b0), (a1, b1))
    }
}

impl<T: SplitRows> SplitRows for Option<T> {
    fn rows(&self) -> usize {
        self.as_ref().map_or(usize::MAX, SplitRows::rows)
    }
    fn split_rows(self, mid: usize) -> (Self, Self) {
        match self {
            Some(t) => {
                let (a, b) = t.split_rows(mid);
                (Some(a), Some(b))
            }
            None => (None, None),
        }
    }
}

/// Rows of a row-major matrix (`width` values per row), split between rows.
pub struct RowMajor<'a> {
    /// The matrix, `rows × width`.
    pub data: &'a mut [f64],
    /// Values per row.
    pub width: usize,
}

impl SplitRows for RowMajor<'_> {
    fn rows(&self) -> usize {
        self.data.len().checked_div(self.width).unwrap_or(0)
    }
    fn split_rows(self, mid: usize) -> (Self, Self) {
        let (a, b) = self.data.split_at_mut(mid * self.width);
        (RowMajor { data: a, width: self.width }, RowMajor { data: b, width: self.width })
    }
}

impl SplitRows for () {
    fn rows(&self) -> usize {
        usize::MAX
    }
    fn split_rows(self, _mid: usize) -> (Self, Self) {
        ((), ())
    }
}

/// Map each chunk `[k·CHUNK, (k+1)·CHUNK)` of `0..rows` — with its slice of `outputs` — to a
/// value, in parallel on alvh's pool when there is more than one chunk, and return the values in
/// chunk order (so that reductions over them do not depend on the thread count).
pub fn map_chunks<O, T, F>(rows: usize, outputs: O, work: &F) -> Vec<T>
where
    O: SplitRows,
    T: Send,
    F: Fn(Range<usize>, O) -> T + Sync,
{
    map_chunks_of(CHUNK, rows, outputs, work)
}

/// [`map_chunks`] with chunks of `chunk` rows (for rows that are costly, like scenarios).
pub fn map_chunks_of<O, T, F>(chunk: usize, rows: usize, outputs: O, work: &F) -> Vec<T>
where
    O: SplitRows,
    T: Send,
    F: Fn(Range<usize>, O) -> T + Sync,
{
    let chunk = chunk.max(1);
    if rows <= chunk {
        vec![work(0..rows, outputs)]
    } else {
        pool().install(|| split_recursively(chunk, 0, rows, outputs, work))
    }
}

/// Call `work(first_row, chunk_outputs)` for consecutive chunks of [`CHUNK`] rows of `outputs`.
pub fn for_each_chunk<O, F>(outputs: O, work: &F)
where
    O: SplitRows,
    F: Fn(usize, O) + Sync,
{
    map_chunks(outputs.rows(), outputs, &|range: Range<usize>, out| work(range.start, out));
}

fn split_recursively<O, T, F>(chunk: usize, first: usize, rows: usize, outputs: O, work: &F) -> Vec<T>
where
    O: SplitRows,
    T: Send,
    F: Fn(Range<usize>, O) -> T + Sync,
{
    if rows <= chunk {
        return vec![work(first..first + rows, outputs)];
    }
    let mid = rows.div_ceil(chunk) / 2 * chunk;
    let (left, right) = outputs.split_rows(mid);
    let (mut head, tail) = rayon::join(
        || split_recursively(chunk, first, mid, left, work),
        || split_recursively(chunk, first + mid, rows - mid, right, work),
    );
    head.extend(tail);
    head
}
