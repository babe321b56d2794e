// OpenMP parallel_for over independent work. The team size is
// rb::kernel_threads(): the count set by rb.set_num_threads / RB_NUM_THREADS,
// or 1 when called from inside a parallel region (never oversubscribe).
#pragma once

#include <cstdint>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace rb {

int num_threads();              // the configured count (>= 1)
void set_num_threads(int n);    // n >= 1
int kernel_threads();           // num_threads(), or 1 inside a parallel region
int thread_index();             // this thread's number in its team (0 outside one)

// Calls f(lo, hi) on contiguous chunks of [begin, end), one chunk per thread,
// each chunk at least `grain` long (so tiny loops stay on one thread).
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  int64_t teams = kernel_threads();
  const int64_t max_chunks = grain > 0 ? (n + grain - 1) / grain : n;
  if (teams > max_chunks) teams = max_chunks;
  if (teams <= 1) {
    f(begin, end);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(static_cast<int>(teams))
  {
    const int64_t t = omp_get_thread_num();
    const int64_t nt = omp_get_num_threads();
    const int64_t lo = begin + n * t / nt;
    const int64_t hi = begin + n * (t + 1) / nt;
    if (lo < hi) f(lo, hi);
  }
#else
  f(begin, end);
#endif
}

}  // namespace rb
