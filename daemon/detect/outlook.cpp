#include "daemon/detect/outlook.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <vector>

namespace omswatch::daemon {
namespace {

template <typename Point>
void remember(std::vector<Point>& window, const Point& point, Duration spacing) {
  if (!window.empty() && point.at <= window.back().at) {
    if (point.at == window.back().at) {
      window.back() = point;
    } else if (window.back().at - point.at > kOutlookClockStep) {
      window.assign(1, point);  // the clock was set back: the old points no longer line up
    }
    return;
  }
  const auto n = window.size();
  if (n >= 2 && window[n - 1].at - window[n - 2].at < spacing) {
    window.back() = point;
  } else {
    window.push_back(point);
  }
  if (window.size() > kOutlookMaxPoints) {
    window.erase(window.begin(),
                 window.begin() + static_cast<std::ptrdiff_t>(window.size() - kOutlookMaxPoints));
  }
}

// A series in seconds since the newest point (t <= 0) and values.
struct Sample {
  double t;
  double v;
};

// At most a window's points, on the stack: the figures are made at every
// poll, so they allocate nothing.
class Series {
 public:
  void push_back(const Sample& s) {
    if (size_ < data_.size()) data_[size_++] = s;
  }
  // Drops the first n.
  void drop_front(std::size_t n) {
    n = std::min(n, size_);
    std::copy(data_.begin() + static_cast<std::ptrdiff_t>(n),
              data_.begin() + static_cast<std::ptrdiff_t>(size_), data_.begin());
    size_ -= n;
  }
  std::span<const Sample> view() const { return {data_.data(), size_}; }
  std::size_t size() const { return size_; }
  const Sample& operator[](std::size_t i) const { return data_[i]; }

 private:
  std::array<Sample, kOutlookMaxPoints> data_{};
  std::size_t size_ = 0;
};
using Samples = std::span<const Sample>;

template <typename Rep, typename Period>
double seconds(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration<double>(d).count();
}

// The newest points within `window` of the newest one, at least
// kOutlookMinPoints of them when the series has them.
Samples recent(Samples all, Duration window) {
  const double from = -seconds(window);
  std::size_t begin = all.size();
  while (begin > 0 && all[begin - 1].t >= from) --begin;
  const std::size_t at_least = all.size() > kOutlookMinPoints ? all.size() - kOutlookMinPoints : 0;
  return all.subspan(std::min(begin, at_least));
}

bool enough(Samples s, Duration min_span = kOutlookMinSpan) {
  return s.size() >= kOutlookMinPoints && s.back().t - s.front().t >= seconds(min_span);
}

// Least squares: the slope of v over t.
double slope(Samples s, double* mean_t = nullptr, double* mean_v = nullptr) {
  double st = 0, sv = 0;
  for (const auto& p : s) st += p.t, sv += p.v;
  const double mt = st / static_cast<double>(s.size());
  const double mv = sv / static_cast<double>(s.size());
  double num = 0, den = 0;
  for (const auto& p : s) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) * (p.t - mt);
  }
  if (mean_t) *mean_t = mt;
  if (mean_v) *mean_v = mv;
  return den > 0 ? num / den : 0;
}

// The slowest and the fastest rate over consecutive stretches of at least
// kEtaStretch, cut from the newest point back; a shorter remainder at the old
// end joins the stretch after it.
std::pair<double, double> stretch_rates(Samples s, Duration stretch) {
  const double len = seconds(stretch);
  std::vector<std::size_t> cuts{s.size() - 1};  // newest first
  for (std::size_t end = s.size() - 1; end > 0;) {
    std::size_t begin = end;
    while (begin > 0 && s[end].t - s[begin].t < len) --begin;
    if (s[end].t - s[begin].t < len && cuts.size() > 1) {
      cuts.back() = 0;
      break;
    }
    cuts.push_back(begin);
    end = begin;
  }
  double low = INFINITY, high = -INFINITY;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const auto& from = s[cuts[i + 1]];
    const auto& to = s[cuts[i]];
    if (to.t <= from.t) continue;
    const double r = (to.v - from.v) / (to.t - from.t);
    low = std::min(low, r);
    high = std::max(high, r);
  }
  return {low, high};
}

Duration clamp_seconds(double s, bool round_up) {
  s = std::clamp(s, 0.0, seconds(kOutlookLongest));
  return std::chrono::seconds(static_cast<std::int64_t>(round_up ? std::ceil(s) : std::floor(s)));
}

std::optional<Eta> estimate(Series& all, double remaining, Duration stall_span, Eta::Basis basis,
                            Duration since_newest, const EtaSpans& spans) {
  // A value that went back (OMS restarted the step) starts the series afresh.
  for (std::size_t i = all.size(); i-- > 1;) {
    if (all[i].v < all[i - 1].v) {
      all.drop_front(i);
      break;
    }
  }
  const auto s = recent(all.view(), spans.window);
  if (!enough(s, spans.min_span) || since_newest > spans.window || remaining <= 0) {
    return std::nullopt;
  }
  // Stalled: no progress since the newest point at least stall_span old (or
  // the oldest point, when the series is shorter).
  std::size_t ref = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i].t <= -seconds(stall_span)) ref = i;
  }
  if (s.back().v <= s[ref].v) return std::nullopt;
  const double rate = slope(s);
  if (!(rate > 0)) return std::nullopt;
  auto [slow, fast] = stretch_rates(s, spans.stretch);
  slow = std::max(std::min(slow, rate), rate * kEtaSlowestShare);
  fast = std::max(fast, rate);
  const double elapsed = seconds(since_newest);
  Eta eta;
  eta.basis = basis;
  eta.rate = rate;
  eta.remaining = static_cast<std::int64_t>(remaining);
  eta.low = clamp_seconds(remaining / fast - elapsed, false);
  eta.high = clamp_seconds(remaining / slow - elapsed, true);
  return eta;
}

}  // namespace

void remember_transfer(OutlookHistory& history, std::string_view step, const TransferPoint& point,
                       Duration spacing) {
  if (history.transfer_step != step) {
    history.transfer.clear();
    history.transfer_step = std::string(step);
  }
  remember(history.transfer, point, spacing);
}

EtaSpans eta_spans(Duration reading_every) {
  if (reading_every <= Duration(0)) return {};
  const auto scale = [&](Duration d) {
    return Duration(d.count() * reading_every.count() / kEtaReadingEvery.count());
  };
  EtaSpans defaults;
  return {scale(defaults.spacing), scale(defaults.min_span), scale(defaults.window),
          scale(defaults.stretch), scale(defaults.stall)};
}

void remember_lag(OutlookHistory& history, const LagPoint& point) {
  remember(history.lag, point, kLagSpacing);
}

void forget_lag(OutlookHistory& history) { history.lag.clear(); }

std::string_view to_string(Eta::Basis basis) {
  switch (basis) {
    case Eta::Basis::records:
      return "records";
    case Eta::Basis::percent:
      return "percent";
  }
  return "records";
}

std::string_view to_string(Trend::Direction direction) {
  switch (direction) {
    case Trend::Direction::catching_up:
      return "catching_up";
    case Trend::Direction::falling_behind:
      return "falling_behind";
    case Trend::Direction::steady:
      return "steady";
  }
  return "steady";
}

std::optional<Eta> estimate_eta(const std::vector<TransferPoint>& points, TimePoint now,
                                const EtaSpans& spans) {
  if (points.empty()) return std::nullopt;
  const auto& newest = points.back();
  const Duration since_newest =
      std::max(Duration(0), std::chrono::duration_cast<Duration>(now - newest.at));
  Series series;
  const auto t = [&](const TransferPoint& p) { return seconds(p.at - newest.at); };
  std::optional<Eta> eta;
  if (newest.processed && newest.capacity && *newest.capacity > *newest.processed) {
    for (const auto& p : points) {
      if (p.processed) series.push_back({t(p), static_cast<double>(*p.processed)});
    }
    eta = estimate(series, static_cast<double>(*newest.capacity - *newest.processed), spans.stall,
                   Eta::Basis::records, since_newest, spans);
  } else if (newest.percent && *newest.percent < 100) {
    for (const auto& p : points) {
      if (p.percent) series.push_back({t(p), static_cast<double>(*p.percent)});
    }
    eta = estimate(series, 100.0 - *newest.percent, spans.window, Eta::Basis::percent, since_newest,
                   spans);
  }
  if (eta) eta->at = now;
  return eta;
}

std::optional<Trend> lag_trend(const std::vector<LagPoint>& points, Duration max_lag,
                               TimePoint now) {
  if (points.empty()) return std::nullopt;
  const auto& newest = points.back();
  Series all;
  for (const auto& p : points) all.push_back({seconds(p.at - newest.at), seconds(p.lag)});
  const auto s = recent(all.view(), kTrendWindow);
  const double since_newest = std::max(0.0, seconds(now - newest.at));
  if (!enough(s) || since_newest > seconds(kTrendWindow)) return std::nullopt;
  double mean_t = 0, mean_v = 0;
  const double rate = slope(s, &mean_t, &mean_v);
  const double lag_now = std::max(0.0, mean_v + rate * (since_newest - mean_t));
  Trend trend;
  trend.rate = rate;
  trend.lag = newest.lag;
  if (std::abs(rate) * (s.back().t - s.front().t) < seconds(kTrendBand)) {
    trend.direction = Trend::Direction::steady;
  } else if (rate < 0) {
    trend.direction = Trend::Direction::catching_up;
    trend.to_zero = clamp_seconds(lag_now / -rate, true);
  } else {
    trend.direction = Trend::Direction::falling_behind;
    if (max_lag > Duration(0) && newest.lag < max_lag) {
      trend.to_max_lag = clamp_seconds((seconds(max_lag) - lag_now) / rate, true);
    }
  }
  return trend;
}

}  // namespace omswatch::daemon
