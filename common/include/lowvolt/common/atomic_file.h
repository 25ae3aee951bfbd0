#pragma once
// Atomic output: every result, model and checkpoint is written to a temporary file in the same
// folder and renamed over the target only once complete and flushed, so an interrupted run never
// leaves a half-written file and never destroys what was already saved.
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace lowvolt {

/// Writes `contents` to `path` atomically (temp file + fsync + rename). Throws lowvolt::Error
/// naming the path when the folder is not writable or the disk is full.
void write_file_atomic(const std::string& path, std::string_view contents);

/// Calls `writer` with a binary stream on a temporary file, then renames it to `path`. If the
/// writer throws, the temporary file is removed and the target is left untouched.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& writer);

/// Reads a whole file into memory; throws lowvolt::Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace lowvolt
