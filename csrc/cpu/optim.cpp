// Fused in-place optimizer steps: SGD, Adagrad, Adadelta, RMSprop, Adam, AdamW.
//
// One call updates a whole list of parameters: the loop over the list is here,
// not in Python, and each element of each array is read and written once (a
// single pass over memory, which bounds the speed of these kernels).
//
// Notation, per element: p parameter, g its gradient, lr the learning rate,
// wd the weight decay, t the step count after this update's increment. Every
// optimizer first forms the gradient it follows,
//     g <- -g                    if maximize
//     g <- g + wd * p            (L2 penalty; all but AdamW, only when wd != 0)
// and then applies the update below (torch.optim's equations, in torch's order
// of operations, so that float32 results agree to rounding):
//
// SGD (momentum mu, dampening d):
//     b <- g                               on the first step (fresh buffers)
//     b <- mu * b + (1 - d) * g            on later steps      } if mu != 0
//     g <- g + mu * b if nesterov, else g <- b                  }
//     p <- p - lr * g
// Adagrad (lr_decay, eps; s starts at initial_accumulator_value):
//     s <- s + g^2
//     p <- p - clr * g / (sqrt(s) + eps),     clr = lr / (1 + (t - 1) * lr_decay)
// Adadelta (rho, eps; v and u start at 0):
//     v <- rho * v + (1 - rho) * g^2
//     dx <- sqrt(u + eps) / sqrt(v + eps) * g
//     u <- rho * u + (1 - rho) * dx^2
//     p <- p - lr * dx
// RMSprop (alpha, eps, momentum mu; v, a, b start at 0):
//     v <- alpha * v + (1 - alpha) * g^2
//     a <- alpha * a + (1 - alpha) * g               } if centered
//     r <- sqrt(v - a^2) + eps if centered, else sqrt(v) + eps
//     b <- mu * b + g / r,  p <- p - lr * b           if mu > 0
//     p <- p - lr * g / r                             otherwise
// Adam (beta1, beta2, eps; m, v, vmax start at 0):
//     m <- beta1 * m + (1 - beta1) * g        (computed as torch's lerp)
//     v <- beta2 * v + (1 - beta2) * g^2
//     vmax <- max(vmax, v)  and use vmax in place of v      if amsgrad
//     p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// AdamW: Adam without the L2 term, and p <- p * (1 - lr * wd) first (decoupled
// weight decay).
//
// Scalars are computed in double, as Python computes them for torch, and cast
// to T once. Option flags become template parameters (with_flags), so every
// combination has its own branch-free, vectorizable inner loop.
#include "cpu/optim.h"

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "common/parallel.h"

namespace rb::cpu::RB_ISA {
namespace {

// Below this many elements in a call, a second thread costs more than it saves.
constexpr int64_t kGrain = 1 << 15;

// Calls body(i, begin, n) on the elements [begin, begin + n) of array i, for
// every array of the list, splitting the concatenation of all arrays evenly
// over the threads (so 100 arrays of 100k elements and one of 10M balance
// alike; a thread's range may start and end in the middle of an array).
template <class Body>
void for_each_span(const int64_t* sizes, int64_t count, const Body& body) {
  int64_t total = 0;
  for (int64_t i = 0; i < count; ++i) total += sizes[i];
  rb::parallel_for(0, total, kGrain, [&](int64_t lo, int64_t hi) {
    int64_t i = 0;
    int64_t first = 0;  // flat index of element 0 of array i
    while (first + sizes[i] <= lo) first += sizes[i++];
    for (; i < count && first < hi; first += sizes[i++]) {
      const int64_t begin = lo > first ? lo - first : 0;
      const int64_t end = hi < first + sizes[i] ? hi - first : sizes[i];
      if (begin < end) body(i, begin, end - begin);
    }
  });
}

// Calls f with the run-time flags as compile-time constants, in the same
// order: with_flags(f, true, false) calls f(std::true_type{}, std::false_type{}),
// so f can pass them on as template arguments (2^flags instantiations).
template <class F>
void with_flags(const F& f) {
  f();
}
template <class F, class... Rest>
void with_flags(const F& f, bool flag, Rest... rest) {
  if (flag) {
    with_flags([&](auto... known) { f(std::true_type{}, known...); }, rest...);
  } else {
    with_flags([&](auto... known) { f(std::false_type{}, known...); }, rest...);
  }
}

// torch's lerp(start, end, w) = start + w * (end - start), evaluated as
// base + coeff * (end - start) with base = start, coeff = w when |w| < 0.5 and
// base = end, coeff = w - 1 otherwise (accurate at both ends of [0, 1]).
template <class T>
struct Lerp {
  T coeff;
  bool from_end;

  explicit Lerp(double w)
      : coeff(std::abs(w) < 0.5 ? T(w) : T(w) - T(1)), from_end(!(std::abs(w) < 0.5)) {}
  T operator()(T start, T end) const { return (from_end ? end : start) + coeff * (end - start); }
};

// max(a, b) that returns NaN when either is NaN, like torch.maximum.
template <class T>
T nan_maximum(T a, T b) {
  return (a > b || a != a) ? a : b;
}

// ---------------------------------------------------------------- SGD

template <class T>
struct SgdConstants {
  T sign, weight_decay, momentum, one_minus_dampening, neg_lr;
};

template <bool kL2, bool kMomentum, bool kNesterov, bool kFresh, class T>
void sgd_span(int64_t n, T* __restrict p, const T* __restrict grad, T* __restrict buf,
              SgdConstants<T> c) {
  for (int64_t j = 0; j < n; ++j) {
    T g = c.sign * grad[j];
    if constexpr (kL2) g = g + c.weight_decay * p[j];
    if constexpr (kMomentum) {
      const T b = kFresh ? g : buf[j] * c.momentum + c.one_minus_dampening * g;
      buf[j] = b;
      g = kNesterov ? g + c.momentum * b : b;
    }
    p[j] = p[j] + c.neg_lr * g;
  }
}

}  // namespace

template <class T>
void sgd(T* const* params, const T* const* grads, T* const* momentum_buffers,
         const int64_t* sizes, int64_t count, const SgdOptions& o) {
  const SgdConstants<T> c{T(o.maximize ? -1 : 1), T(o.weight_decay), T(o.momentum),
                          T(1.0 - o.dampening), T(-o.lr)};
  const bool momentum = o.momentum != 0;
  with_flags(
      [&](auto l2, auto mom, auto nesterov, auto fresh) {
        for_each_span(sizes, count, [&](int64_t i, int64_t b, int64_t n) {
          sgd_span<l2, mom, nesterov, fresh>(n, params[i] + b, grads[i] + b,
                                             mom ? momentum_buffers[i] + b : nullptr, c);
        });
      },
      o.weight_decay != 0, momentum, momentum && o.nesterov, momentum && o.fresh_buffers);
}

// ---------------------------------------------------------------- Adagrad

namespace {

template <class T>
struct AdagradConstants {
  T sign, weight_decay, eps, neg_clr;
};

template <bool kL2, class T>
void adagrad_span(int64_t n, T* __restrict p, const T* __restrict grad, T* __restrict sum,
                  AdagradConstants<T> c) {
  for (int64_t j = 0; j < n; ++j) {
    T g = c.sign * grad[j];
    if constexpr (kL2) g = g + c.weight_decay * p[j];
    const T s = sum[j] + g * g;
    sum[j] = s;
    p[j] = p[j] + c.neg_clr * g / (std::sqrt(s) + c.eps);
  }
}

}  // namespace

template <class T>
void adagrad(T* const* params, const T* const* grads, T* const* state_sums,
             const int64_t* sizes, int64_t count, const AdagradOptions& o) {
  const double clr = o.lr / (1 + double(o.step - 1) * o.lr_decay);
  const AdagradConstants<T> c{T(o.maximize ? -1 : 1), T(o.weight_decay), T(o.eps), T(-clr)};
  with_flags(
      [&](auto l2) {
        for_each_span(sizes, count, [&](int64_t i, int64_t b, int64_t n) {
          adagrad_span<l2>(n, params[i] + b, grads[i] + b, state_sums[i] + b, c);
        });
      },
      o.weight_decay != 0);
}

// ---------------------------------------------------------------- Adadelta

namespace {

template <class T>
struct AdadeltaConstants {
  T sign, weight_decay, rho, one_minus_rho, eps, neg_lr;
};

template <bool kL2, class T>
void adadelta_span(int64_t n, T* __restrict p, const T* __restrict grad, T* __restrict square_avg,
                   T* __restrict acc_delta, AdadeltaConstants<T> c) {
  for (int64_t j = 0; j < n; ++j) {
    T g = c.sign * grad[j];
    if constexpr (kL2) g = g + c.weight_decay * p[j];
    const T v = square_avg[j] * c.rho + c.one_minus_rho * g * g;
    square_avg[j] = v;
    const T delta = std::sqrt(acc_delta[j] + c.eps) / std::sqrt(v + c.eps) * g;
    acc_delta[j] = acc_delta[j] * c.rho + c.one_minus_rho * delta * delta;
    p[j] = p[j] + c.neg_lr * delta;
  }
}

}  // namespace

template <class T>
void adadelta(T* const* params, const T* const* grads, T* const* square_avgs,
              T* const* acc_deltas, const int64_t* sizes, int64_t count,
              const AdadeltaOptions& o) {
  const AdadeltaConstants<T> c{T(o.maximize ? -1 : 1), T(o.weight_decay), T(o.rho),
                               T(1.0 - o.rho), T(o.eps), T(-o.lr)};
  with_flags(
      [&](auto l2) {
        for_each_span(sizes, count, [&](int64_t i, int64_t b, int64_t n) {
          adadelta_span<l2>(n, params[i] + b, grads[i] + b, square_avgs[i] + b,
                            acc_deltas[i] + b, c);
        });
      },
      o.weight_decay != 0);
}

// ---------------------------------------------------------------- RMSprop

namespace {

template <class T>
struct RmspropConstants {
  T sign, weight_decay, alpha, one_minus_alpha, eps, momentum, neg_lr;
  Lerp<T> grad_avg_lerp;  // weight 1 - alpha
};

template <bool kL2, bool kCentered, bool kMomentum, class T>
void rmsprop_span(int64_t n, T* __restrict p, const T* __restrict grad, T* __restrict square_avg,
                  T* __restrict grad_avg, T* __restrict buf, RmspropConstants<T> c) {
  for (int64_t j = 0; j < n; ++j) {
    T g = c.sign * grad[j];
    if constexpr (kL2) g = g + c.weight_decay * p[j];
    const T v = square_avg[j] * c.alpha + c.one_minus_alpha * g * g;
    square_avg[j] = v;
    T avg;
    if constexpr (kCentered) {
      const T a = c.grad_avg_lerp(grad_avg[j], g);
      grad_avg[j] = a;
      avg = std::sqrt(v - a * a) + c.eps;
    } else {
      avg = std::sqrt(v) + c.eps;
    }
    if constexpr (kMomentum) {
      const T b = buf[j] * c.momentum + g / avg;
      buf[j] = b;
      p[j] = p[j] + c.neg_lr * b;
    } else {
      p[j] = p[j] + c.neg_lr * g / avg;
    }
  }
}

}  // namespace

template <class T>
void rmsprop(T* const* params, const T* const* grads, T* const* square_avgs,
             T* const* grad_avgs, T* const* momentum_buffers, const int64_t* sizes,
             int64_t count, const RmspropOptions& o) {
  const RmspropConstants<T> c{T(o.maximize ? -1 : 1), T(o.weight_decay), T(o.alpha),
                              T(1.0 - o.alpha),       T(o.eps),          T(o.momentum),
                              T(-o.lr),               Lerp<T>(1.0 - o.alpha)};
  with_flags(
      [&](auto l2, auto centered, auto mom) {
        for_each_span(sizes, count, [&](int64_t i, int64_t b, int64_t n) {
          rmsprop_span<l2, centered, mom>(n, params[i] + b, grads[i] + b, square_avgs[i] + b,
                                          centered ? grad_avgs[i] + b : nullptr,
                                          mom ? momentum_buffers[i] + b : nullptr, c);
        });
      },
      o.weight_decay != 0, o.centered, o.momentum > 0);
}

// ---------------------------------------------------------------- Adam, AdamW

namespace {

template <class T>
struct AdamConstants {
  T sign;
  T weight_decay;           // L2 coefficient (Adam)
  T decay;                  // 1 - lr * wd (AdamW), 1 (Adam): multiplying by 1 is exact
  T beta2, one_minus_beta2;
  T bias_correction2_sqrt;  // sqrt(1 - beta2^t)
  T eps;
  T neg_step_size;          // -lr / (1 - beta1^t)
  Lerp<T> exp_avg_lerp;     // weight 1 - beta1
};

template <bool kL2, bool kAmsgrad, class T>
void adam_span(int64_t n, T* __restrict p, const T* __restrict grad, T* __restrict exp_avg,
               T* __restrict exp_avg_sq, T* __restrict max_exp_avg_sq, AdamConstants<T> c) {
  for (int64_t j = 0; j < n; ++j) {
    T g = c.sign * grad[j];
    if constexpr (kL2) g = g + c.weight_decay * p[j];
    const T param = p[j] * c.decay;
    const T m = c.exp_avg_lerp(exp_avg[j], g);
    exp_avg[j] = m;
    T v = exp_avg_sq[j] * c.beta2 + c.one_minus_beta2 * g * g;
    exp_avg_sq[j] = v;
    if constexpr (kAmsgrad) {
      v = nan_maximum(max_exp_avg_sq[j], v);
      max_exp_avg_sq[j] = v;
    }
    const T denom = std::sqrt(v) / c.bias_correction2_sqrt + c.eps;
    p[j] = param + c.neg_step_size * m / denom;
  }
}

}  // namespace

template <class T>
void adam(T* const* params, const T* const* grads, T* const* exp_avgs, T* const* exp_avg_sqs,
          T* const* max_exp_avg_sqs, const int64_t* sizes, int64_t count,
          const AdamOptions& o) {
  const double t = double(o.step);
  const double bias_correction1 = 1 - std::pow(o.beta1, t);
  const double bias_correction2 = 1 - std::pow(o.beta2, t);
  const bool decoupled = o.decoupled_weight_decay;
  const AdamConstants<T> c{T(o.maximize ? -1 : 1),
                           T(decoupled ? 0.0 : o.weight_decay),
                           T(decoupled ? 1.0 - o.lr * o.weight_decay : 1.0),
                           T(o.beta2),
                           T(1.0 - o.beta2),
                           T(std::sqrt(bias_correction2)),
                           T(o.eps),
                           T(-(o.lr / bias_correction1)),
                           Lerp<T>(1.0 - o.beta1)};
  with_flags(
      [&](auto l2, auto amsgrad) {
        for_each_span(sizes, count, [&](int64_t i, int64_t b, int64_t n) {
          adam_span<l2, amsgrad>(n, params[i] + b, grads[i] + b, exp_avgs[i] + b,
                                 exp_avg_sqs[i] + b,
                                 amsgrad ? max_exp_avg_sqs[i] + b : nullptr, c);
        });
      },
      !decoupled && o.weight_decay != 0, o.amsgrad);
}

#define RB_INSTANTIATE_OPTIM(T)                                                              \
  template void sgd<T>(T* const*, const T* const*, T* const*, const int64_t*, int64_t,       \
                       const SgdOptions&);                                                   \
  template void adagrad<T>(T* const*, const T* const*, T* const*, const int64_t*, int64_t,   \
                           const AdagradOptions&);                                           \
  template void adadelta<T>(T* const*, const T* const*, T* const*, T* const*, const int64_t*, \
                            int64_t, const AdadeltaOptions&);                                \
  template void rmsprop<T>(T* const*, const T* const*, T* const*, T* const*, T* const*,      \
                           const int64_t*, int64_t, const RmspropOptions&);                  \
  template void adam<T>(T* const*, const T* const*, T* const*, T* const*, T* const*,         \
                        const int64_t*, int64_t, const AdamOptions&);

RB_INSTANTIATE_OPTIM(float)
RB_INSTANTIATE_OPTIM(double)

}  // namespace rb::cpu::RB_ISA
