#pragma once
// Checks a torch.save / torch.jit.save archive before LibTorch reads it (io/'s readers and
// training's checkpoints). LibTorch 1.13's readers trust the sizes a file states: its zip reader
// allocates a record's stated uncompressed size, its unpickler reserve()s a string's stated length (a
// 131-byte pickle made it allocate 1.65 GB, docs/reliability.md), a memo index can grow its memo
// table, a stack-popping opcode on an empty stack is undefined behaviour, and a tensor storage's
// element count is taken from the pickle, not from the record that holds its bytes. This check
// walks the zip central directory and every pickle record of the archive and refuses, with one
// line naming the file and record, any size that the bytes cannot back.
#include <cstdint>
#include <memory>
#include <string>


namespace caffe2::serialize {
class ReadAdapterInterface;
}

namespace lowvolt::host {

/// The largest archive the readers accept, checked before reading it (4 GiB: a tensor data file
/// of 100 000 CIFAR-sized float images fits).
inline constexpr std::uint64_t kMaxTorchArchiveBytes = std::uint64_t{4} << 30;

/// Checks `bytes`, the whole archive read from `path` (used in messages). Throws lowvolt::Error
/// "<path>: <what>" on the first problem:
///  - the zip: an end-of-central-directory record (zip64 too) inside the file; every entry's
///    local header and data inside the file; stored entries (method 0) with equal sizes, deflated
///    ones (method 8) stating at most 1032 × their compressed size (deflate's limit); no other
///    method;
///  - every record whose name ends in "pkl" (data.pkl, constants.pkl, code/…/*.debug_pkl):
///    only the opcodes LibTorch's unpickler knows (protocols 0–4); every length-prefixed string,
///    bytes or long no longer than what remains of the record; newline arguments terminated;
///    memo puts numbered in order (an index at most one past the last) and gets of stored
///    entries only; no opcode popping below the stack's last mark or an empty stack; a STOP;
///  - every tensor storage the pickle names (the persistent id ('storage', type, key, location,
///    numel) of "P.pkl") backed by a record "P/key" of at least numel × item size bytes.
void check_torch_archive(const std::string& path, const std::string& bytes);

/// A LibTorch read adapter owning the archive's bytes, so that the checked bytes are the ones
/// LibTorch reads (the file is read once).
std::shared_ptr<caffe2::serialize::ReadAdapterInterface> archive_adapter(std::string bytes);

/// The archive `bytes` (checked) rewritten without its TorchScript debug records
/// (code/…/*.debug_pkl: the source ranges LibTorch uses only to point at the Python source in
/// error messages). LibTorch 1.13 crashes (SEGV in Source::findSourceRangeThatGenerated) when a
/// malformed code record makes it report a parse error through a source range table that does
/// not fit, so LowVolt loads TorchScript without them; the version record is kept.
std::string without_debug_records(const std::string& path, const std::string& bytes);

/// Reads `path` (a regular file of at most kMaxTorchArchiveBytes) and checks it as above.
std::string read_checked_torch_archive(const std::string& path);

}  // namespace lowvolt::host
