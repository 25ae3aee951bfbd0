// The backend registry and the backend-independent helpers of accelerator.h.
#include "lowvolt/accelerator/accelerator.h"

#include <algorithm>
#include <mutex>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::accelerator {

namespace {
struct Registry {
  std::mutex mutex;
  std::map<std::string, AcceleratorFactory> factories;
  std::map<std::string, BackendTraits> traits;
};
/// The registry, holding the golden model from the start (it is part of this library).
Registry& registry() {
  static Registry* r = [] {
    auto* made = new Registry;
    made->factories["golden"] = golden_factory();
    made->traits["golden"] = golden_traits();
    return made;
  }();
  return *r;
}

[[noreturn]] void unknown_backend(const Registry& r, const std::string& name) {
  std::string known;
  for (const auto& [n, f] : r.factories) known += (known.empty() ? "" : ", ") + n;
  fail("accelerator: unknown backend '", name, "' (known: ", known.empty() ? std::string("none registered") : known,
       ")");
}
}  // namespace

void check_tile_config(const TileConfig& cfg) {
  if (cfg.rows < 1 || cfg.rows > hw::kPeRows) {
    fail("accelerator: tile_cfg.rows = ", cfg.rows, " outside 1..", hw::kPeRows);
  }
  if (cfg.cols < 1 || cfg.cols > hw::kPeCols) {
    fail("accelerator: tile_cfg.cols = ", cfg.cols, " outside 1..", hw::kPeCols);
  }
  if (cfg.wbits < 1 || cfg.wbits > hw::kMaxWbits) {
    fail("accelerator: tile_cfg.wbits = ", cfg.wbits, " outside 1..", hw::kMaxWbits);
  }
}

std::uint64_t encode_tile_config(const TileConfig& cfg) {
  check_tile_config(cfg);
  return hw::encode(hw::TileCfgCmd{cfg.rows, cfg.cols, cfg.wbits, cfg.act_zero, cfg.w_zero,
                                   cfg.act_signed ? 1u : 0u, cfg.w_signed ? 1u : 0u});
}

profiles::Geometry buffer_geometry() {
  return profiles::Geometry{hw::kBanks, hw::kSramRows, hw::kSramCols};
}

void check_profile_geometry(const profiles::CellMap& map, const std::string& who) {
  const profiles::Geometry& g = map.geometry();
  if (!(g == buffer_geometry())) {
    fail(who, ": profile geometry ", g.arrays, "×", g.rows, "×", g.cols,
         " does not match the weight buffer's ", hw::kBanks, "×", hw::kSramRows, "×",
         hw::kSramCols);
  }
}

void check_transfer_fields(const std::string& who, const char* what, std::uint32_t addr,
                           std::size_t count) {
  constexpr std::uint64_t kMax = 0xffff;
  if (addr > kMax || count > kMax) {
    fail(who, ": ", what, " of ", count, " words at address ", addr, ": both must be ≤ ", kMax);
  }
}

void check_run_fields(const std::string& who, std::uint32_t w_bit_addr, std::size_t k) {
  if (w_bit_addr > 0xffffffu || k > 0xffff) {
    fail(who, ": run with w_bit_addr ", w_bit_addr, " (24 bits) and k ", k, " (≤ 65535)");
  }
}

void Accelerator::set_vdd(double v_over_vmin) { set_vdd_code(profiles::vdd_code(v_over_vmin)); }

std::vector<std::int32_t> Accelerator::run(std::uint32_t w_bit_addr,
                                           const std::vector<std::uint64_t>& activations,
                                           const TileConfig& current) {
  std::vector<std::int32_t> out(std::size_t{current.rows} * current.cols);
  run(w_bit_addr, activations.data(), activations.size(), out.data());
  return out;
}

void Accelerator::set_bank_counters(const std::vector<std::uint32_t>& /*reads*/,
                                    const std::vector<std::uint32_t>& /*writes*/) {
  fail("accelerator: the ", name(), " backend cannot set its bank counters (run it as one instance)");
}

void Accelerator::run_row_tiles(const RowTileRuns& job, std::optional<TileConfig>& current) {
  std::vector<std::int32_t> tile(std::size_t{hw::kPeRows} * hw::kPeCols);
  for (std::uint32_t row0 = 0, t = 0; row0 < job.rows; row0 += hw::kPeRows, ++t) {
    TileConfig cfg = job.cfg;
    cfg.rows = std::min<std::uint32_t>(hw::kPeRows, job.rows - row0);
    if (!current || *current != cfg) {
      tile_cfg(cfg);
      current = cfg;
    }
    run(job.w_bit_addr, job.activations + std::size_t{t} * job.act_stride, job.k, tile.data());
    for (std::uint32_t i = 0; i < cfg.rows; ++i) {
      std::uint32_t* dst = job.acc + (std::size_t{row0} + i) * job.acc_stride;
      const std::int32_t* src = tile.data() + std::size_t{i} * cfg.cols;
      for (std::uint32_t j = 0; j < cfg.cols; ++j) dst[j] += static_cast<std::uint32_t>(src[j]);
    }
  }
}

void register_accelerator(const std::string& name, AcceleratorFactory factory,
                          BackendTraits traits) {
  LV_CHECK(factory, "register_accelerator: empty factory for '" << name << "'");
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[name] = std::move(factory);
  r.traits[name] = std::move(traits);
}

void register_golden_backend() { register_accelerator("golden", golden_factory(), golden_traits()); }

bool accelerator_known(const std::string& name) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.factories.count(name) != 0;
}

BackendTraits accelerator_traits(const std::string& name) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto it = r.traits.find(name);
  if (it == r.traits.end()) unknown_backend(r, name);
  return it->second;
}

std::unique_ptr<Accelerator> make_accelerator(const std::string& name,
                                              const AcceleratorConfig& config) {
  AcceleratorFactory factory;
  {
    auto& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    const auto it = r.factories.find(name);
    if (it == r.factories.end()) unknown_backend(r, name);
    factory = it->second;
  }
  auto accel = factory(config);
  LV_CHECK(accel != nullptr, "backend '" << name << "' built nothing");
  return accel;
}

std::vector<std::string> accelerator_names() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [n, f] : r.factories) names.push_back(n);
  return names;
}

}  // namespace lowvolt::accelerator
