// 2-D pooling (shapes and rules in cpu/pool.h). For plane p and output (oh, ow):
//
//   max:       y = max_{(h, w) in window} x[p, h, w],  idx = argmax h W + w
//              dx[p, idx] += dy                        (indices kept by the forward)
//   avg:       y = sum_{window} x / divisor,           dx[window] += dy / divisor
//              divisor = (hend - hstart)(wend - wstart) with hstart = oh sh - ph and
//              hend = min(hstart + kh, H + ph) (count_include_pad), or the same
//              after clipping to [0, H) x [0, W), or divisor_override
//   adaptive:  window rows floor(oh H / Ho) .. ceil((oh + 1) H / Ho), y = mean
//
// Threads: planes are independent (each backward writes only its own plane
// of dx), so parallel_for splits the planes; small problems stay on one thread.
#include "cpu/pool.h"

#include <cstring>
#include <limits>

#include "common/parallel.h"
#include "cpu/buffer.h"

namespace rb::cpu::RB_ISA {
namespace {

inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// The taps of a dilated window along one dimension that fall inside [0, size):
// positions first, first + dilation, ... (count of them).
struct Taps {
  int64_t first, count;
};

Taps taps(int64_t o, int64_t stride, int64_t pad, int64_t dilation, int64_t kernel,
          int64_t size) {
  const int64_t start = o * stride - pad;
  const int64_t lo = start < 0 ? (-start + dilation - 1) / dilation : 0;
  const int64_t hi = size - start > 0 ? min64(kernel, (size - start + dilation - 1) / dilation) : 0;
  return {start + lo * dilation, max64(0, hi - lo)};
}

// Planes per chunk so that a chunk has at least ~32k element visits.
int64_t plane_grain(int64_t work_per_plane) {
  return max64(1, (int64_t{1} << 15) / max64(1, work_per_plane));
}

// [start, end) of adaptive window `o` of `out` over `size`, and its length.
inline int64_t adaptive_start(int64_t o, int64_t size, int64_t out) { return o * size / out; }
inline int64_t adaptive_end(int64_t o, int64_t size, int64_t out) {
  return ((o + 1) * size + out - 1) / out;
}

// The avg-pool window of output (oh, ow), clipped to the input, and its divisor.
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};

AvgWindow avg_window(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                     int64_t oh, int64_t ow) {
  int64_t h0 = oh * s.stride_h - s.pad_h, w0 = ow * s.stride_w - s.pad_w;
  int64_t h1 = min64(h0 + s.kernel_h, s.in_h + s.pad_h);
  int64_t w1 = min64(w0 + s.kernel_w, s.in_w + s.pad_w);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = max64(h0, 0), w0 = max64(w0, 0), h1 = min64(h1, s.in_h), w1 = min64(w1, s.in_w);
  const int64_t divisor = divisor_override > 0 ? divisor_override
                          : count_include_pad  ? padded
                                               : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

// The output positions [lo, hi) (of `out`) whose tap o stride + offset lies in [0, size).
struct Span {
  int64_t lo, hi;
};

Span valid_outputs(int64_t offset, int64_t stride, int64_t size, int64_t out) {
  auto floor_div = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  const int64_t lo = min64(out, max64(0, -floor_div(offset, stride)));
  return {lo, max64(lo, min64(out, floor_div(size - 1 - offset, stride) + 1))};
}

}  // namespace

// One output row at a time, tap by tap: for window tap (i, j) every output
// column ow of the row compares its pixel with its running maximum, so the
// loop runs across ow (vectorizable, no data-dependent branch), and each
// window still sees its pixels row by row, as the scalar scan would.
template <class T>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, int64_t* indices) {
  const int64_t plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w, wo = s.out_w;
  Buffer<Span> spans(s.kernel_w);   // the output columns each column tap j is valid for
  Buffer<int64_t> first_col(wo);    // each window's first in-bounds column (its default argmax)
  for (int64_t j = 0; j < s.kernel_w; ++j)
    spans.get()[j] = valid_outputs(j * s.dilation_w - s.pad_w, s.stride_w, s.in_w, wo);
  for (int64_t ow = 0; ow < wo; ++ow)
    first_col.get()[ow] = min64(
        max64(taps(ow, s.stride_w, s.pad_w, s.dilation_w, s.kernel_w, s.in_w).first, 0),
        s.in_w - 1);
  parallel_for(0, s.planes, plane_grain(out_plane * s.kernel_h * s.kernel_w),
               [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const T* xp = x + p * plane;
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        T* __restrict best = y + p * out_plane + oh * wo;
        int64_t* __restrict where = indices + p * out_plane + oh * wo;
        const Taps rows = taps(oh, s.stride_h, s.pad_h, s.dilation_h, s.kernel_h, s.in_h);
        const int64_t first_row = min64(max64(rows.first, 0), s.in_h - 1) * s.in_w;
        for (int64_t ow = 0; ow < wo; ++ow) {
          best[ow] = -std::numeric_limits<T>::infinity();
          where[ow] = first_row + first_col.get()[ow];
        }
        for (int64_t i = 0; i < rows.count; ++i) {
          const int64_t row = (rows.first + i * s.dilation_h) * s.in_w;
          const T* __restrict line = xp + row;
          for (int64_t j = 0; j < s.kernel_w; ++j) {
            const Span span = spans.get()[j];
            const int64_t offset = j * s.dilation_w - s.pad_w, sw = s.stride_w;
#pragma omp simd
            for (int64_t ow = span.lo; ow < span.hi; ++ow) {
              const int64_t at = ow * sw + offset;
              const T v = line[at];
              const bool wins = v > best[ow] || v != v;   // NaN wins, as in PyTorch
              best[ow] = wins ? v : best[ow];
              where[ow] = wins ? row + at : where[ow];
            }
          }
        }
      }
    }
  });
}

template <class T>
void max_pool2d_backward(const Pool2dShape& s, const T* dy, const int64_t* indices, T* dx) {
  const int64_t plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  parallel_for(0, s.planes, plane_grain(plane + out_plane), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      T* dxp = dx + p * plane;
      std::memset(dxp, 0, plane * sizeof(T));
      const T* dyp = dy + p * out_plane;
      const int64_t* ip = indices + p * out_plane;
      for (int64_t o = 0; o < out_plane; ++o) dxp[ip[o]] += dyp[o];
    }
  });
}

template <class T>
void avg_pool2d_forward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                        const T* x, T* y) {
  const int64_t plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  parallel_for(0, s.planes, plane_grain(out_plane * s.kernel_h * s.kernel_w),
               [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const T* xp = x + p * plane;
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const AvgWindow win = avg_window(s, count_include_pad, divisor_override, oh, ow);
          T total = 0;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) total += xp[h * s.in_w + w];
          y[p * out_plane + oh * s.out_w + ow] = total / static_cast<T>(win.divisor);
        }
    }
  });
}

template <class T>
void avg_pool2d_backward(const Pool2dShape& s, bool count_include_pad, int64_t divisor_override,
                         const T* dy, T* dx) {
  const int64_t plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  parallel_for(0, s.planes, plane_grain(plane + out_plane * s.kernel_h * s.kernel_w),
               [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      T* dxp = dx + p * plane;
      std::memset(dxp, 0, plane * sizeof(T));
      for (int64_t oh = 0; oh < s.out_h; ++oh)
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const AvgWindow win = avg_window(s, count_include_pad, divisor_override, oh, ow);
          const T share = dy[p * out_plane + oh * s.out_w + ow] / static_cast<T>(win.divisor);
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) dxp[h * s.in_w + w] += share;
        }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_forward(const Pool2dShape& s, const T* x, T* y) {
  const int64_t plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  parallel_for(0, s.planes, plane_grain(plane + out_plane), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const T* xp = x + p * plane;
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        const int64_t h0 = adaptive_start(oh, s.in_h, s.out_h), h1 = adaptive_end(oh, s.in_h, s.out_h);
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const int64_t w0 = adaptive_start(ow, s.in_w, s.out_w);
          const int64_t w1 = adaptive_end(ow, s.in_w, s.out_w);
          T total = 0;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) total += xp[h * s.in_w + w];
          y[p * out_plane + oh * s.out_w + ow] = total / static_cast<T>((h1 - h0) * (w1 - w0));
        }
      }
    }
  });
}

template <class T>
void adaptive_avg_pool2d_backward(const Pool2dShape& s, const T* dy, T* dx) {
  const int64_t plane = s.in_h * s.in_w, out_plane = s.out_h * s.out_w;
  parallel_for(0, s.planes, plane_grain(plane + out_plane), [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      T* dxp = dx + p * plane;
      std::memset(dxp, 0, plane * sizeof(T));
      for (int64_t oh = 0; oh < s.out_h; ++oh) {
        const int64_t h0 = adaptive_start(oh, s.in_h, s.out_h), h1 = adaptive_end(oh, s.in_h, s.out_h);
        for (int64_t ow = 0; ow < s.out_w; ++ow) {
          const int64_t w0 = adaptive_start(ow, s.in_w, s.out_w);
          const int64_t w1 = adaptive_end(ow, s.in_w, s.out_w);
          const T share =
              dy[p * out_plane + oh * s.out_w + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) dxp[h * s.in_w + w] += share;
        }
      }
    }
  });
}

#define RB_POOL_INSTANTIATE(T)                                                                \
  template void max_pool2d_forward<T>(const Pool2dShape&, const T*, T*, int64_t*);            \
  template void max_pool2d_backward<T>(const Pool2dShape&, const T*, const int64_t*, T*);     \
  template void avg_pool2d_forward<T>(const Pool2dShape&, bool, int64_t, const T*, T*);       \
  template void avg_pool2d_backward<T>(const Pool2dShape&, bool, int64_t, const T*, T*);      \
  template void adaptive_avg_pool2d_forward<T>(const Pool2dShape&, const T*, T*);             \
  template void adaptive_avg_pool2d_backward<T>(const Pool2dShape&, const T*, T*);
RB_POOL_INSTANTIATE(float)
RB_POOL_INSTANTIATE(double)
#undef RB_POOL_INSTANTIATE

}  // namespace rb::cpu::RB_ISA
