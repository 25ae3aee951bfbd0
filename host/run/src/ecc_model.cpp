// ECC in energy/error curves: energy per access and word error rates (ecc_model.h).
#include "lowvolt/run/ecc_model.h"

#include <algorithm>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"

namespace lowvolt::host {

namespace acc = lowvolt::accelerator;

double EccEnergy::logic(acc::EccMode mode) const {
  switch (mode) {
    case acc::EccMode::kNone:
      return 0.0;
    case acc::EccMode::kParity:
      return parity;
    case acc::EccMode::kSecded:
      return secded;
  }
  return 0.0;
}

void EccEnergy::validate(const std::string& what) const {
  for (const auto& [key, v] :
       {std::pair<const char*, double>{"parity", parity}, {"secded", secded}}) {
    if (!(v >= 0.0 && v <= 10.0)) fail(what, ": ", key, "=", v, " is outside [0, 10]");
  }
}

EccEnergy EccEnergy::parse(const std::string& text, const std::string& what) {
  EccEnergy e;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) fail(what, ": '", item, "' is not key=value (parity=…, secded=…)");
    const std::string key = item.substr(0, eq);
    const auto value = parse_real(item.substr(eq + 1));
    if (!value) fail(what, ": ", key, " = '", item.substr(eq + 1), "' is not a number");
    if (key == "parity") {
      e.parity = *value;
    } else if (key == "secded") {
      e.secded = *value;
    } else {
      fail(what, ": unknown key '", key, "' (known: parity, secded)");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  e.validate(what);
  return e;
}

double ecc_access_energy(const profiles::EnergyModel& model, double v, acc::EccMode mode,
                         const EccEnergy& logic) {
  const double columns = (64.0 + acc::ecc_check_bits(mode)) / 64.0;
  return columns * model.access(v) + logic.logic(mode);
}

EccWordRates chip_word_rates(const profiles::CellMap& data, const profiles::CellMap& check,
                             std::uint16_t vdd, acc::EccMode mode) {
  const profiles::Geometry& g = data.geometry();
  LV_CHECK(g.cols == 64 && check.geometry().arrays == g.arrays && check.geometry().rows == g.rows &&
               check.geometry().cols == acc::kEccCheckColumns,
           "chip_word_rates: data " << g.cols << " columns, check " << check.geometry().cols);
  const std::uint64_t words = std::uint64_t{g.arrays} * g.rows;
  const std::uint32_t check_bits = acc::ecc_check_bits(mode);
  std::uint64_t raw = 0, detected = 0, post = 0;
  for (std::uint64_t w = 0; w < words; ++w) {
    std::uint64_t e_data = 0;
    for (std::uint32_t b = 0; b < 64; ++b) {
      e_data |= std::uint64_t{data.vc()[w * 64 + b] > vdd} << b;
    }
    std::uint8_t e_check = 0;
    for (std::uint32_t c = 0; c < check_bits; ++c) {
      e_check = static_cast<std::uint8_t>(e_check |
                                          (check.vc()[w * acc::kEccCheckColumns + c] > vdd) << c);
    }
    raw += e_data != 0;
    // a linear code: the outcome depends on the error pattern only; store 0, read the errors
    const acc::EccDecoded out = acc::ecc_decode(mode, e_data, e_check);
    const bool flagged = out.outcome == acc::EccOutcome::kUncorrectable;
    detected += flagged;
    // parity delivers a detected word as 0: wrong for data in general, so it counts
    post += out.data != 0 || (flagged && mode == acc::EccMode::kParity);
  }
  const auto n = static_cast<double>(words);
  return {static_cast<double>(raw) / n, static_cast<double>(detected) / n,
          static_cast<double>(post) / n};
}

}  // namespace lowvolt::host
