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

#[cfg(test)]
mod tests {
    use super::*;

    /// Values whose sum depends on the order it is taken in (floating point is not associative).
    fn value(row: usize) -> f64 {
        let x = row as f64;
        (x * 0.618_033_988_749_895).sin() * 10f64.powi((row % 31) as i32 - 15)
    }

    /// Per-chunk sums, in chunk order, as `split_recursively` returns them on a pool of `threads`.
    fn chunk_sums_on(threads: usize, chunk: usize, rows: usize) -> Vec<u64> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let sums = pool.install(|| {
            split_recursively(chunk, 0, rows, (), &|range: Range<usize>, ()| range.map(value).sum::<f64>())
        });
        sums.iter().map(|s| s.to_bits()).collect()
    }

    #[test]
    fn results_are_bit_identical_for_any_thread_count() {
        for (chunk, rows) in [(7, 1000), (CHUNK, 5 * CHUNK + 3)] {
            let serial: Vec<u64> = (0..rows)
                .step_by(chunk)
                .map(|s| (s..(s + chunk).min(rows)).map(value).sum::<f64>().to_bits())
                .collect();
            for threads in [1, 2, 3, 8] {
                assert_eq!(chunk_sums_on(threads, chunk, rows), serial, "{threads} threads, chunk {chunk}");
            }
        }
    }

    #[test]
    fn chunks_cover_the_rows_in_order() {
        for (chunk, rows) in [(4, 0), (4, 1), (4, 4), (4, 5), (4, 23), (3, 1000)] {
            let ranges = map_chunks_of(chunk, rows, (), &|range, ()| range);
            let mut next = 0;
            for (k, range) in ranges.iter().enumerate() {
                assert_eq!(range.start, next, "chunk {chunk}, rows {rows}: {ranges:?}");
                let expected_len = if k + 1 < ranges.len() { chunk } else { rows - next };
                assert_eq!(range.len(), expected_len, "chunk {chunk}, rows {rows}: {ranges:?}");
                next = range.end;
            }
            assert_eq!(next, rows);
            assert_eq!(ranges.len(), rows.div_ceil(chunk).max(1));
        }
    }

    /// Each chunk gets exactly its own rows of every output, whatever their kind.
    #[test]
    fn outputs_are_split_at_the_chunk_boundaries() {
        let rows = 2 * CHUNK + 77;
        let mut first = vec![0.0; rows];
        let mut flags = vec![0u8; rows];
        let mut matrix = vec![0.0; 3 * rows];
        let outputs = ((first.as_mut_slice(), flags.as_mut_slice()), Some(RowMajor { data: &mut matrix, width: 3 }));
        map_chunks(rows, outputs, &|range: Range<usize>, ((a, b), m)| {
            let m = m.expect("the matrix");
            assert_eq!((a.len(), b.len(), m.data.len()), (range.len(), range.len(), 3 * range.len()));
            for (i, row) in range.enumerate() {
                a[i] = row as f64;
                b[i] = (row % 251) as u8;
                m.data[3 * i..3 * i + 3].fill(row as f64);
            }
        });
        assert!(first.iter().enumerate().all(|(row, &v)| v == row as f64));
        assert!(flags.iter().enumerate().all(|(row, &v)| v == (row % 251) as u8));
        assert!(matrix.chunks(3).enumerate().all(|(row, r)| r.iter().all(|&v| v == row as f64)));
    }

    #[test]
    fn for_each_chunk_passes_each_chunks_first_row() {
        let mut out = vec![0.0; CHUNK + 5];
        for_each_chunk(out.as_mut_slice(), &|first, part: &mut [f64]| {
            for (i, v) in part.iter_mut().enumerate() {
                *v = (first + i) as f64;
            }
        });
        assert!(out.iter().enumerate().all(|(row, &v)| v == row as f64));
    }

    #[test]
    fn the_pool_has_at_least_one_thread() {
        assert!(thread_count() >= 1);
    }
}
