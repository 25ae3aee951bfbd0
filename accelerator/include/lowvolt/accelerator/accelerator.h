#pragma once
// lowvolt::accelerator::Accelerator — the one driver API of the LowVolt accelerator, at the level
// of its commands (accelerator/spec/lowvolt_hw.json, semantics in docs/rtl.md), after TVM VTA:
// the bit-exact C++ golden model (`golden`, this folder) and the Verilated RTL under SystemC
// (`rtl`, sim/) implement it, and everything above it (weight-memory image, tiler, host
// inference) is written once against it, so callers cannot tell which backend runs.
//
// Contract (every backend):
//  - State: a weight buffer of hw::kBanks × hw::kSramRows 64-bit words (word address w lives in
//    bank w / kSramRows, row w % kSramRows; bit b of word w is memory-model cell w × 64 + b), a
//    chip fault profile, a supply voltage code, a tile configuration, and counters.
//  - After construction (and reset()) the supply is hw::kVddResetCode (no faults), the tile
//    configuration is {rows = kPeRows, cols = kPeCols, wbits = kMaxWbits, zeros 0,
//    act_signed = 1, w_signed = 0}, the counters are zero and the profile is all-good (every
//    vc_code 0). reset() keeps the buffer contents and the loaded profile (as the RTL's rst).
//  - Every read and write of the buffer goes through the faulty-SRAM model of docs/memory-model.md
//    at the current supply: persistent and intermittent cells, the intermittent hash keyed by the
//    bank's read count r before each read, stuck cells fixing what a write stores.
//  - run() reads each weight word the tile needs exactly once, in ascending word address order
//    (one read per word, counted on that word's bank), then computes
//        y[i][j] = Σ_k (x[k][i] − act_zero) · (w[k][j] − w_zero)     (mod 2^32)
//    where x[k][i] is byte i of activation word k (int8 if act_signed, else uint8), and
//    w[k][j] is the m-bit code at bit address w_bit_addr + (k·cols + j)·m (m = wbits; m-bit two's
//    complement if w_signed, else unsigned), bit addresses modulo kBufferWords × 64.
//  - Counters (hw::kCounterWords semantics): macs += rows × cols per run step; each bank counts
//    its reads and writes (32 bits, wrapping) since reset or the last load_profile(). cycles is
//    the RTL's clock-cycle count since reset; the golden model reproduces it for commands and
//    data fed back-to-back (as lowvolt::rtl::AccelDriver does, backdoor load included); a
//    backend with idle cycles between commands (a bus) may show more.
//  - mbist() runs March C- over the whole buffer (destroys its contents) and returns the failing
//    cells in ascending cell order with the directions seen.
//  - Errors: lowvolt::Error for a caller's mistake (profile of the wrong geometry, tile shape out
//    of range, unknown backend name); LV_CHECK for a backend that breaks this contract.
//  - set_bank_counters() (a backdoor, where the backend can) moves the read/write counters, so
//    that parallel backend objects can each reproduce a part of one chip's access history.
//  - A backend object is not thread-safe; distinct objects are independent.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lowvolt/accelerator/hw_spec.h"
#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::accelerator {

/// Shape, weight width and zero points of the following runs (the tile_cfg command).
struct TileConfig {
  std::uint32_t rows = hw::kPeRows;     ///< M: activation rows per tile, 1..kPeRows
  std::uint32_t cols = hw::kPeCols;     ///< N: weight columns per tile, 1..kPeCols
  std::uint32_t wbits = hw::kMaxWbits;  ///< m: weight code width in bits, 1..kMaxWbits
  std::uint8_t act_zero = 0;            ///< activation zero point, raw 8 bits (int8 if act_signed)
  std::uint8_t w_zero = 0;              ///< weight zero point, raw 8 bits (int8 if w_signed)
  bool act_signed = true;               ///< activations and act_zero are int8 (else uint8)
  bool w_signed = false;  ///< codes are m-bit two's complement, w_zero int8 (else unsigned)

  bool operator==(const TileConfig& o) const {
    return rows == o.rows && cols == o.cols && wbits == o.wbits && act_zero == o.act_zero &&
           w_zero == o.w_zero && act_signed == o.act_signed && w_signed == o.w_signed;
  }
  bool operator!=(const TileConfig& o) const { return !(*this == o); }
};

/// Throws lowvolt::Error naming the field if `cfg` is a shape the hardware rejects.
void check_tile_config(const TileConfig& cfg);
/// The tile_cfg command word of `cfg` (checked first).
std::uint64_t encode_tile_config(const TileConfig& cfg);

/// The counters command's response, decoded.
struct Counters {
  std::uint64_t status = 0;  ///< raw status word (hw::StatusWord): sticky error bits, version
  std::uint64_t cycles = 0;  ///< clock cycles since reset, in cycles
  std::uint64_t macs = 0;    ///< useful multiply-accumulates: rows × cols per run step
  std::vector<std::uint32_t> bank_reads =
      std::vector<std::uint32_t>(hw::kBanks);  ///< per bank, reads
  std::vector<std::uint32_t> bank_writes =
      std::vector<std::uint32_t>(hw::kBanks);  ///< per bank, writes

  bool operator==(const Counters& o) const {
    return status == o.status && cycles == o.cycles && macs == o.macs &&
           bank_reads == o.bank_reads && bank_writes == o.bank_writes;
  }
  bool operator!=(const Counters& o) const { return !(*this == o); }
};

/// One failing cell found by MBIST.
struct MbistRecord {
  std::uint32_t cell = 0;  ///< memory-model cell index (bank × kSramRows + row) × 64 + col
  bool saw_0to1 = false;   ///< a 1 was read where 0 had been written
  bool saw_1to0 = false;   ///< a 0 was read where 1 had been written

  bool operator==(const MbistRecord& o) const {
    return cell == o.cell && saw_0to1 == o.saw_0to1 && saw_1to0 == o.saw_1to0;
  }
};

/// One weight range run on consecutive row tiles, the tiler's unit of work (run_row_tiles).
struct RowTileRuns {
  TileConfig cfg;                ///< shape of the tiles; its rows field is ignored
  std::uint32_t rows = 0;        ///< M: activation rows of all tiles (tile t has min(8, M − 8t))
  std::uint32_t w_bit_addr = 0;  ///< the runs' weight bit address
  const std::uint64_t* activations = nullptr;  ///< tile t's k words at activations + t·act_stride
  std::size_t act_stride = 0;                  ///< words between consecutive tiles' activations
  std::size_t k = 0;                           ///< steps per run
  std::uint32_t* acc =
      nullptr;  ///< results added here: row 8t + i, column j at (8t+i)·acc_stride + j
  std::size_t acc_stride = 0;  ///< words between rows of acc
};

/// The geometry every backend's weight buffer has: kBanks arrays × kSramRows rows × 64 columns.
profiles::Geometry buffer_geometry();
/// lowvolt::Error "<who>: profile geometry A×R×C does not match the weight buffer's …" unless
/// `map` has buffer_geometry() (the one check every backend's load_profile makes).
void check_profile_geometry(const profiles::CellMap& map, const std::string& who);
/// lowvolt::Error "<who>: <what> of N words at address A: …" unless a write or read (`what`)
/// fits the command's 16-bit address and count fields.
void check_transfer_fields(const std::string& who, const char* what, std::uint32_t addr,
                           std::size_t count);
/// lowvolt::Error "<who>: run with …" unless a run's bit address (24 bits) and k (16) fit.
void check_run_fields(const std::string& who, std::uint32_t w_bit_addr, std::size_t k);

/// The accelerator, driven at the command level. See the contract above.
class Accelerator {
 public:
  virtual ~Accelerator() = default;

  /// The backend's registry name ("golden", "rtl", ...).
  virtual std::string name() const = 0;

  /// The rst pin: zeroes counters and sticky status, restores the reset supply and tile config;
  /// keeps buffer contents and the loaded profile.
  virtual void reset() = 0;
  /// Loads a chip's fault overlay by backdoor (geometry must equal buffer_geometry(), else
  /// lowvolt::Error); zeroes every bank's read/write counters (the memory model's r restarts).
  /// The backend copies what it needs: `map` need not outlive the call.
  virtual void load_profile(const profiles::CellMap& map) = 0;
  /// set_vdd command: supply code V/Vmin × 4096 for every later access.
  virtual void set_vdd_code(std::uint16_t vdd_code) = 0;
  /// write command: words[i] to word address (addr + i) mod kBufferWords (addr < 2^16).
  virtual void write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) = 0;
  /// read command: `count` words (≤ 65535) from (addr + i) mod kBufferWords through the faults.
  virtual void read(std::uint32_t addr, std::size_t count, std::uint64_t* out) = 0;
  /// tile_cfg command (lowvolt::Error for a shape out of range; nothing is sent then).
  virtual void tile_cfg(const TileConfig& cfg) = 0;
  /// run command with k = `k` activation words (≤ 65535); writes the rows × cols int32 results
  /// of the current tile configuration, row-major, to `out`.
  virtual void run(std::uint32_t w_bit_addr, const std::uint64_t* activations, std::size_t k,
                   std::int32_t* out) = 0;
  /// A sequence of commands, exactly: for each row tile t = 0, 1, … of `job`, a tile_cfg of
  /// job.cfg with rows = min(kPeRows, job.rows − 8t) unless `current` already holds that
  /// configuration, then run(job.w_bit_addr, activations + t·act_stride, k) with its rows × cols
  /// results added modulo 2^32 into job.acc. `current` is the configuration in force (nullopt:
  /// unknown) and is updated. A backend may override it to do the same work faster; results,
  /// reads, counters and cycles must equal those of the commands (the default issues them).
  virtual void run_row_tiles(const RowTileRuns& job, std::optional<TileConfig>& current);
  /// counters command.
  virtual Counters counters() = 0;
  /// mbist command: failing cells in ascending cell order (the buffer contents are lost).
  virtual std::vector<MbistRecord> mbist() = 0;

  /// Whether this backend implements set_bank_counters() (a capability: host inference runs
  /// batches on parallel instances only on backends that have it).
  virtual bool can_set_bank_counters() const { return false; }
  /// Backdoor, no command and no cycle: sets every bank's read and write counters (kBanks values
  /// each; the memory model's r of later accesses) as if the chip had run the work that led to
  /// them. An instance that starts a batch at the counters one chip would have there reads and
  /// writes exactly what that chip would (the tiler writes every word before it reads it in a
  /// batch). The default throws lowvolt::Error naming the backend.
  virtual void set_bank_counters(const std::vector<std::uint32_t>& reads,
                                 const std::vector<std::uint32_t>& writes);

  /// Convenience: set_vdd_code(profiles::vdd_code(v_over_vmin)); v in × Vmin.
  void set_vdd(double v_over_vmin);
  /// Convenience: write a vector of words.
  void write(std::uint32_t addr, const std::vector<std::uint64_t>& words) {
    write(addr, words.data(), words.size());
  }
  /// Convenience: read `count` words into a vector.
  std::vector<std::uint64_t> read(std::uint32_t addr, std::size_t count) {
    std::vector<std::uint64_t> out(count);
    read(addr, count, out.data());
    return out;
  }
  /// Convenience: run into a vector of rows × cols results (needs the current config).
  std::vector<std::int32_t> run(std::uint32_t w_bit_addr,
                                const std::vector<std::uint64_t>& activations,
                                const TileConfig& current);
};

/// Backend options: key → value strings, each backend documents the keys it reads and rejects
/// unknown ones with lowvolt::Error naming the key (e.g. the rtl backend's "trace" = FST path).
using AcceleratorConfig = std::map<std::string, std::string>;

/// Builds a backend from its options.
using AcceleratorFactory = std::function<std::unique_ptr<Accelerator>(const AcceleratorConfig&)>;

/// What a backend offers the code that schedules work on it, recorded with its registration so
/// that no caller tells backends apart by name.
struct BackendTraits {
  std::string summary;                ///< one line for help texts ("RTL co-simulation")
  int default_instances = 1;          ///< instances host inference runs in parallel by default
  int max_instances = 1;              ///< the most instances one process can hold
  std::int64_t default_batch = 1000;  ///< images per forward pass by default
};

/// Adds a backend to the registry (a second registration of a name replaces the first).
void register_accelerator(const std::string& name, AcceleratorFactory factory,
                          BackendTraits traits = {});
/// Registers the C++ golden model as "golden". The registry holds it from the start; this is
/// for callers that want to say so (idempotent).
void register_golden_backend();
/// The golden model's factory (options: kernel, ecc) and traits.
AcceleratorFactory golden_factory();
BackendTraits golden_traits();
/// Whether a backend is registered as `name`.
bool accelerator_known(const std::string& name);
/// The traits of the backend registered as `name`; lowvolt::Error listing the known names if
/// there is none.
BackendTraits accelerator_traits(const std::string& name);
/// The backend registered as `name`; lowvolt::Error listing the known names if there is none.
std::unique_ptr<Accelerator> make_accelerator(const std::string& name,
                                              const AcceleratorConfig& config = {});
/// Names of the registered backends, sorted.
std::vector<std::string> accelerator_names();

}  // namespace lowvolt::accelerator
