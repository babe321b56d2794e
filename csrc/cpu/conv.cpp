// 2-D convolution as GEMMs over im2col columns (shapes and the formula in
// cpu/conv.h). Per image n and group g, with K = Cg kh kw and L = Ho Wo:
//
//   cols (K x L)   cols[(c, i, j), (oh, ow)] = x[n, g Cg + c, oh sh + i dh - pt, ow sw + j dw - pl]
//   forward        Y[n, g] (Og x L)  = W[g] (Og x K) . cols            (C preset to the bias rows)
//   backward       dcols (K x L)     = W[g]^T . dY[n, g],  dx[n, g] = col2im(dcols)
//                  dW[g]^T (K x Og) += cols . dY[n, g]^T,  db[o] += sum_l dY[n, o, l]
//
// A pointwise convolution (1 x 1, stride 1, no padding) has cols = x[n, g]
// itself, so it skips im2col/col2im and multiplies in place.
//
// Threads: the (n, g) products are independent; when there are at least as
// many as threads, each thread takes a contiguous share with its own column
// buffer and runs its GEMMs on one thread (gemm sees it is inside a parallel
// region). The backward does dx, dW and db of a product in one job (dY[n, g]
// is read from memory once), accumulating dW and db into per-thread copies
// that are summed at the end. With fewer products than threads they
// run one after another, each GEMM using every thread.
#include "cpu/conv.h"

#include <cstring>

#include "common/parallel.h"
#include "cpu/buffer.h"
#include "cpu/gemm.h"

namespace rb::cpu::RB_ISA {
namespace {

inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// floor(a / b) for b > 0 and any sign of a.
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

struct Sizes {
  int64_t cg, og, k, l, plane;  // Cg, Og, Cg kh kw, Ho Wo, H W
};

Sizes sizes(const Conv2dShape& s) {
  return {s.in_channels / s.groups, s.out_channels / s.groups,
          s.in_channels / s.groups * s.kernel_h * s.kernel_w, s.out_h * s.out_w, s.in_h * s.in_w};
}

bool is_pointwise(const Conv2dShape& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
         s.pad_top == 0 && s.pad_left == 0 && s.out_h == s.in_h && s.out_w == s.in_w;
}

// The output columns [lo, hi) whose input column ow sw + offset lies in [0, W).
struct Span {
  int64_t lo, hi;
};

Span valid_columns(const Conv2dShape& s, int64_t offset) {
  const int64_t lo = min64(s.out_w, max64(0, -floor_div(offset, s.stride_w)));
  const int64_t last = floor_div(s.in_w - 1 - offset, s.stride_w);  // the last valid ow
  return {lo, max64(lo, min64(s.out_w, last + 1))};
}

// Calls row(r, oh, base, span) for every (row r = (c, i, j) of cols, output row oh)
// whose input row is inside the image, where x[base + ow sw] is the input pixel of
// output column ow (valid for ow in span), and gap(r, oh) for the others.
template <class Row, class Gap>
void for_each_window_row(const Conv2dShape& s, int64_t cg, Row row, Gap gap) {
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t i = 0; i < s.kernel_h; ++i)
      for (int64_t j = 0; j < s.kernel_w; ++j) {
        const int64_t r = (c * s.kernel_h + i) * s.kernel_w + j;
        const int64_t offset = j * s.dilation_w - s.pad_left;
        const Span span = valid_columns(s, offset);
        for (int64_t oh = 0; oh < s.out_h; ++oh) {
          const int64_t hi = oh * s.stride_h + i * s.dilation_h - s.pad_top;
          if (hi < 0 || hi >= s.in_h) {
            gap(r, oh);
            continue;
          }
          row(r, oh, c * s.in_h * s.in_w + hi * s.in_w + offset, span);
        }
      }
}

// Stride 1 with Wo == W ("same" width): row r = (c, i, j) of cols is plane c
// shifted by (i dh - pt) rows and (j dw - pl) columns, i.e. for the flat index
// t = oh W + ow, cols[r, t] = plane[t + shift] with shift = (i dh - pt) W + (j dw - pl),
// valid for output rows [oh0, oh1) and, within a row, for columns `span`.
// f(row r, plane c, shift, c0, c1, oh0, oh1, span) gets [c0, c1): the t range
// of rows [oh0, oh1) whose t + shift stays inside the plane (entries there in
// columns outside `span` wrapped into a neighbouring image row). Returns
// false (calling nothing) for other geometries.
template <class F>
bool for_each_shifted_row(const Conv2dShape& s, const Sizes& z, F f) {
  if (s.stride_h != 1 || s.stride_w != 1 || s.out_w != s.in_w) return false;
  const int64_t w = s.in_w;
  for (int64_t c = 0; c < z.cg; ++c)
    for (int64_t i = 0; i < s.kernel_h; ++i)
      for (int64_t j = 0; j < s.kernel_w; ++j) {
        const int64_t r = (c * s.kernel_h + i) * s.kernel_w + j;
        const int64_t di = i * s.dilation_h - s.pad_top, off = j * s.dilation_w - s.pad_left;
        const int64_t oh0 = min64(s.out_h, max64(0, -di));
        const int64_t oh1 = max64(oh0, min64(s.out_h, s.in_h - di));
        const int64_t shift = di * w + off;
        const int64_t c0 = min64(oh1 * w, max64(oh0 * w, -shift));
        const int64_t c1 = max64(c0, min64(oh1 * w, z.plane - shift));
        f(r, c, shift, c0, c1, oh0, oh1, valid_columns(s, off));
      }
  return true;
}

// Zeroes the columns outside `span` of output rows [oh0, oh1) of one cols row.
// Column by column (a few, each strided by w): row by row, the compiler turns
// each one- or two-element run into a memset call, which cost more than the copy.
template <class T>
void zero_side_columns(T* row, int64_t w, int64_t oh0, int64_t oh1, Span span) {
  auto zero_column = [&](int64_t ow) {
    for (int64_t oh = oh0; oh < oh1; ++oh) row[oh * w + ow] = T(0);
  };
  for (int64_t ow = 0; ow < span.lo; ++ow) zero_column(ow);
  for (int64_t ow = span.hi; ow < w; ++ow) zero_column(ow);
}

// im2col for the shifted-plane geometry: one block copy per row, then zeros.
template <class T>
bool im2col_shifted_planes(const Conv2dShape& s, const Sizes& z, const T* x, T* cols) {
  return for_each_shifted_row(s, z, [&](int64_t r, int64_t c, int64_t shift, int64_t c0,
                                        int64_t c1, int64_t oh0, int64_t oh1, Span span) {
    T* row = cols + r * z.l;
    std::memset(row, 0, c0 * sizeof(T));
    if (c1 > c0) std::memcpy(row + c0, x + c * z.plane + c0 + shift, (c1 - c0) * sizeof(T));
    std::memset(row + c1, 0, (z.l - c1) * sizeof(T));
    zero_side_columns(row, s.in_w, oh0, oh1, span);
  });
}

// col2im for the shifted-plane geometry: the wrapped entries of each row are
// zeroed first (cols is scratch), then the row adds to the plane in one pass.
template <class T>
bool col2im_shifted_planes(const Conv2dShape& s, const Sizes& z, T* cols, T* dx) {
  return for_each_shifted_row(s, z, [&](int64_t r, int64_t c, int64_t shift, int64_t c0,
                                        int64_t c1, int64_t oh0, int64_t oh1, Span span) {
    T* row = cols + r * z.l;
    zero_side_columns(row, s.in_w, oh0, oh1, span);
    T* plane = dx + c * z.plane;
#pragma omp simd
    for (int64_t t = c0; t < c1; ++t) plane[t + shift] += row[t];
  });
}

// cols (K x L) of one image and group; x points at its Cg planes.
template <class T>
void im2col(const Conv2dShape& s, const Sizes& z, const T* x, T* cols) {
  if (im2col_shifted_planes(s, z, x, cols)) return;
  const int64_t sw = s.stride_w, wo = s.out_w;
  for_each_window_row(
      s, z.cg,
      [&](int64_t r, int64_t oh, int64_t base, Span span) {
        T* out = cols + r * z.l + oh * wo;
        for (int64_t ow = 0; ow < span.lo; ++ow) out[ow] = T(0);
        if (sw == 1 && span.hi > span.lo) {
          std::memcpy(out + span.lo, x + base + span.lo, (span.hi - span.lo) * sizeof(T));
        } else {
          for (int64_t ow = span.lo; ow < span.hi; ++ow) out[ow] = x[base + ow * sw];
        }
        for (int64_t ow = span.hi; ow < wo; ++ow) out[ow] = T(0);
      },
      [&](int64_t r, int64_t oh) { std::memset(cols + r * z.l + oh * wo, 0, wo * sizeof(T)); });
}

// dx (Cg planes) = the sum of every column entry into the pixel it was read
// from. cols is scratch: entries that map outside the image may be zeroed.
template <class T>
void col2im(const Conv2dShape& s, const Sizes& z, T* cols, T* dx) {
  std::memset(dx, 0, z.cg * z.plane * sizeof(T));
  if (col2im_shifted_planes(s, z, cols, dx)) return;
  const int64_t sw = s.stride_w, wo = s.out_w;
  for_each_window_row(
      s, z.cg,
      [&](int64_t r, int64_t oh, int64_t base, Span span) {
        const T* in = cols + r * z.l + oh * wo;
        T* dst = dx + base;
        if (sw == 1) {
#pragma omp simd
          for (int64_t ow = span.lo; ow < span.hi; ++ow) dst[ow] += in[ow];
        } else {
          for (int64_t ow = span.lo; ow < span.hi; ++ow) dst[ow * sw] += in[ow];
        }
      },
      [](int64_t, int64_t) {});
}

// Runs job(t, scratch) for t in [0, jobs): on every thread with `per_thread`
// scratch elements each when there are enough jobs, else one after another
// (each job's GEMMs then use every thread). job(t, scratch, thread) also gets
// the index of the thread running it (0 when serial).
template <class T, class Job>
void for_each_product(int64_t jobs, int64_t per_thread, Job job) {
  const int64_t threads = kernel_threads();
  if (threads > 1 && jobs >= threads) {
    Buffer<T> scratch(threads * per_thread);
    parallel_for(0, jobs, 1, [&](int64_t lo, int64_t hi) {
      T* mine = scratch.get() + thread_index() * per_thread;
      for (int64_t t = lo; t < hi; ++t) job(t, mine, thread_index());
    });
  } else {
    Buffer<T> scratch(per_thread);
    for (int64_t t = 0; t < jobs; ++t) job(t, scratch.get(), 0);
  }
}

// C (m x n, row-major ldc) = beta C + op(A) op(B) through our GEMM.
template <class T>
void multiply(int64_t m, int64_t n, int64_t k, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
              int64_t b_rs, int64_t b_cs, T* c, int64_t ldc, T beta) {
  GemmProblem<T> p;
  p.m = m, p.n = n, p.k = k;
  p.a = a, p.a_rs = a_rs, p.a_cs = a_cs;
  p.b = b, p.b_rs = b_rs, p.b_cs = b_cs;
  p.c = c, p.ldc = ldc, p.beta = beta;
  gemm<T>(p);
}

}  // namespace

template <class T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* weight, const T* bias, T* y) {
  const Sizes z = sizes(s);
  const bool pointwise = is_pointwise(s);
  for_each_product<T>(s.batch * s.groups, pointwise ? 1 : z.k * z.l,
                      [&](int64_t t, T* cols, int64_t) {
    const int64_t n = t / s.groups, g = t % s.groups;
    const T* xg = x + (n * s.in_channels + g * z.cg) * z.plane;
    T* yg = y + (n * s.out_channels + g * z.og) * z.l;
    if (!pointwise) im2col(s, z, xg, cols);
    if (bias != nullptr)
      for (int64_t o = 0; o < z.og; ++o)
        for (int64_t l = 0; l < z.l; ++l) yg[o * z.l + l] = bias[g * z.og + o];
    multiply<T>(z.og, z.l, z.k, weight + g * z.og * z.k, z.k, 1, pointwise ? xg : cols, z.l, 1,
                yg, z.l, bias != nullptr ? T(1) : T(0));
  });
}

template <class T>
void conv2d_backward(const Conv2dShape& s, const T* dy, const T* x, const T* weight, T* dx,
                     T* dweight, T* dbias) {
  const Sizes z = sizes(s);
  const bool pointwise = is_pointwise(s);
  const bool weights = dweight != nullptr || dbias != nullptr;
  const int64_t weight_size = s.out_channels * z.k;
  const int64_t threads = s.batch * s.groups >= kernel_threads() ? kernel_threads() : 1;
  // Per-thread accumulators: dW^T per group (G blocks of K x Og), then db (O).
  // dW^T = cols . dY^T keeps the long Og side as GEMM columns, which runs
  // faster than dY . cols^T when K is short (a first layer's K = 27).
  const int64_t slot = weight_size + s.out_channels;
  Buffer<T> sums(weights ? threads * slot : 1, /*zero=*/true);
  // One job per (image, group): dx first, then the same column buffer holds
  // im2col(x) for dW, while dY[n, g] is still in cache.
  for_each_product<T>(s.batch * s.groups, pointwise ? 1 : z.k * z.l,
                      [&](int64_t t, T* cols, int64_t thread) {
    const int64_t n = t / s.groups, g = t % s.groups;
    const T* dyg = dy + (n * s.out_channels + g * z.og) * z.l;
    if (dx != nullptr) {
      T* dxg = dx + (n * s.in_channels + g * z.cg) * z.plane;
      // W[g]^T (K x Og): element (k, o) at weight[(g Og + o) K + k]
      multiply<T>(z.k, z.l, z.og, weight + g * z.og * z.k, 1, z.k, dyg, z.l, 1,
                  pointwise ? dxg : cols, z.l, T(0));
      if (!pointwise) col2im(s, z, cols, dxg);
    }
    if (!weights) return;
    T* dwt = sums.get() + thread * slot;
    if (dweight != nullptr) {
      const T* xg = x + (n * s.in_channels + g * z.cg) * z.plane;
      if (!pointwise) im2col(s, z, xg, cols);
      // dY^T (L x Og): element (l, o) at dyg[o L + l]
      multiply<T>(z.k, z.og, z.l, pointwise ? xg : cols, z.l, 1, dyg, 1, z.l,
                  dwt + g * z.k * z.og, z.og, T(1));
    }
    if (dbias != nullptr) {
      T* db = dwt + weight_size + g * z.og;
      for (int64_t o = 0; o < z.og; ++o) {
        const T* row = dyg + o * z.l;
        T total = 0;
#pragma omp simd reduction(+ : total)
        for (int64_t l = 0; l < z.l; ++l) total += row[l];
        db[o] += total;
      }
    }
  });
  if (!weights) return;
  // Sum the per-thread slots into dW (transposing each group's block back) and db.
  parallel_for(0, slot, 4096, [&](int64_t lo, int64_t hi) {
    for (int64_t e = lo; e < hi; ++e) {
      T total = 0;
      for (int64_t t = 0; t < threads; ++t) total += sums.get()[t * slot + e];
      if (e >= weight_size) {
        if (dbias != nullptr) dbias[e - weight_size] = total;
      } else if (dweight != nullptr) {
        const int64_t g = e / (z.k * z.og), k = e / z.og % z.k, o = e % z.og;
        dweight[(g * z.og + o) * z.k + k] = total;
      }
    }
  });
}

template void conv2d_forward<float>(const Conv2dShape&, const float*, const float*, const float*,
                                    float*);
template void conv2d_forward<double>(const Conv2dShape&, const double*, const double*,
                                     const double*, double*);
template void conv2d_backward<float>(const Conv2dShape&, const float*, const float*, const float*,
                                     float*, float*, float*);
template void conv2d_backward<double>(const Conv2dShape&, const double*, const double*,
                                      const double*, double*, double*, double*);

}  // namespace rb::cpu::RB_ISA
