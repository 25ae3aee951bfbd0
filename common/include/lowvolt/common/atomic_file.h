#pragma once
// Atomic output: every result, model, checkpoint and plot is written to a temporary file in the
// same folder and renamed over the target only once complete and flushed, so an interrupted run
// never leaves a half-written file and never destroys what was already saved. Semantics, the
// same for every output the program writes:
//  - A regular file (or a new path in an existing folder) is replaced whole; an existing file
//    keeps its permission bits, a new one gets 0666 less the umask.
//  - A symbolic link is written through: the file at the end of its chain (relative links
//    resolved from their own folder, dangling ones included) is replaced atomically and the link
//    stays a link.
//  - Anything else — a character or block device (/dev/null, /dev/full), a FIFO, a socket, a
//    directory — is refused with a lowvolt::Error naming the path and what it is, before any
//    work is done with it: nothing is replaced, nothing blocks.
//  - The temporary file is created exclusively (mkstemp) with a random name, so a link planted
//    at a predictable name cannot redirect the write.
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace lowvolt {

/// Throws lowvolt::Error naming `path` when it could not be written under the rules above (a
/// device, FIFO, socket or directory; a missing folder). Commands call it on every output path
/// before their work, so a bad output is found in a second, not after an hour.
void check_output_path(const std::string& path);

/// Writes `contents` to `path` atomically (temp file + fsync + rename; rules above). Throws lowvolt::Error
/// naming the path when the folder is not writable or the disk is full.
void write_file_atomic(const std::string& path, std::string_view contents);

/// Calls `writer` with a binary stream (held in memory), then writes it as above. If the writer
/// throws, nothing is written and the target is left untouched.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& writer);

/// Throws lowvolt::Error naming `path` unless it is (a link to) a regular file: "cannot open for
/// reading (reason)" when it does not exist or cannot be inspected, "is a FIFO, not a regular
/// file" (directory, device, socket) otherwise. Every reader calls it before opening an input.
void check_input_file(const std::string& path);

/// Reads a whole regular file into memory; throws lowvolt::Error naming the path when it cannot
/// be read or is not a regular file (a FIFO or device is refused at once instead of blocking).
std::string read_file(const std::string& path);

}  // namespace lowvolt
