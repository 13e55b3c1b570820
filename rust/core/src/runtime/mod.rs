//! Where and how kernels run: `dispatch` picks the instruction set at run time (the one place
//! with `unsafe`), `parallel` owns the thread pool and cuts work into fixed chunks so that results
//! do not depend on the thread count.

pub mod dispatch;
pub mod parallel;
