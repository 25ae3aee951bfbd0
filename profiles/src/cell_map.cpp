#include "lowvolt/profiles/cell_map.h"

#include "lowvolt/common/error.h"

namespace lowvolt::profiles {

void check_geometry(const Geometry& g, const std::string& what) {
  if (g.arrays == 0 || g.rows == 0 || g.cols == 0) {
    fail(what, ": geometry ", g.arrays, " × ", g.rows, " × ", g.cols, " has an empty dimension");
  }
  if (g.cells() > kMaxCells) {
    fail(what, ": geometry ", g.arrays, " × ", g.rows, " × ", g.cols, " has ", g.cells(),
         " cells, more than the limit of ", kMaxCells);
  }
}

CellMap::CellMap(Geometry g, std::uint16_t sigma_code, std::uint64_t seed)
    : geometry_(g), sigma_code_(sigma_code), seed_(seed) {
  check_geometry(g, "cell map");
  vc_.assign(g.cells(), 0);
  kind_.assign(g.cells(), static_cast<std::uint8_t>(FailureKind::kFlip));
}

std::uint64_t CellMap::count_faulty(std::uint16_t vdd) const {
  std::uint64_t n = 0;
  for (const std::uint16_t v : vc_) n += v > vdd;
  return n;
}

FaultMasks CellMap::faults_at(std::uint16_t vdd) const {
  const std::uint32_t wpr = geometry_.words_per_row();
  const std::uint32_t cols = geometry_.cols;
  std::vector<WordFaults> words(geometry_.words());
  // A cell can be faulty iff vc + max_noise > vdd; it is faulty on every read iff
  // vc + min_noise > vdd. Thresholds as plain comparisons on vc keep the loop vectorisable.
  const std::int32_t hi = max_noise(sigma_code_);
  const std::int32_t lo = min_noise(sigma_code_);
  const std::int32_t can_thr = static_cast<std::int32_t>(vdd) - hi;   // vc > can_thr
  const std::int32_t always_thr = static_cast<std::int32_t>(vdd) - lo;  // vc > always_thr
  const std::uint16_t* vc = vc_.data();
  const std::uint8_t* kind = kind_.data();
  std::uint64_t cell = 0;
  std::uint64_t word = 0;
  const std::uint64_t rows_total = std::uint64_t{geometry_.arrays} * geometry_.rows;
  for (std::uint64_t row = 0; row < rows_total; ++row) {
    for (std::uint32_t w = 0; w < wpr; ++w, ++word) {
      const std::uint32_t bits = (w + 1) * 64 <= cols ? 64 : cols - w * 64;
      std::uint64_t can = 0, always = 0, stuck = 0, stuck1 = 0;
      for (std::uint32_t b = 0; b < bits; ++b) {
        const std::int32_t v = vc[cell + b];
        const std::uint8_t k = kind[cell + b];
        can |= std::uint64_t{v > can_thr} << b;
        always |= std::uint64_t{v > always_thr} << b;
        stuck |= std::uint64_t{k != 0} << b;
        stuck1 |= std::uint64_t{k == static_cast<std::uint8_t>(FailureKind::kStuck1)} << b;
      }
      cell += bits;
      WordFaults& out = words[word];
      out.flip = can & ~stuck;
      out.stuck = can & stuck;
      out.stuck1 = can & stuck1;
      out.candidate = can & ~always;
    }
  }
  return FaultMasks(*this, vdd, std::move(words));
}

FaultMasks::FaultMasks(const CellMap& map, std::uint16_t vdd, std::vector<WordFaults> words)
    : map_(&map), vdd_(vdd), words_per_row_(map.geometry().words_per_row()),
      words_(std::move(words)) {
  LV_CHECK(words_.size() == map.geometry().words(), "word count " << words_.size());
}

std::uint64_t FaultMasks::faulty(std::uint64_t word, std::uint32_t r) const {
  const WordFaults& w = words_[word];
  if (w.candidate == 0) return w.flip | w.stuck;
  const std::uint64_t row = word / words_per_row_;
  const std::uint64_t first =
      row * map_->geometry().cols + (word % words_per_row_) * std::uint64_t{64};
  return faulty_mask(w, map_->vc().data() + first, vdd_, map_->sigma_code(), map_->seed(), first,
                     r);
}

std::uint64_t FaultMasks::write(std::uint64_t word, std::uint64_t data, std::uint32_t r) const {
  const WordFaults& w = words_[word];
  const std::uint64_t stuck_now = faulty(word, r) & w.stuck;
  return (data & ~stuck_now) | (stuck_now & w.stuck1);
}

}  // namespace lowvolt::profiles
