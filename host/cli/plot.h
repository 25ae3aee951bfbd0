#pragma once
// Plots through gnuplot, run as a subprocess. Contract: the caller gives the data files' contents
// and a gnuplot script that refers to them by the names it chose ("ber.dat") and to the output
// as '$OUTPUT'; run_gnuplot() writes the data into a private temporary folder, picks the
// terminal from the output's extension (.svg or .png), and moves the finished picture into place
// atomically. A missing gnuplot, a bad extension or a failing script is a lowvolt::Error naming
// the option and file.
#include <map>
#include <string>

namespace lowvolt::cli {

/// Renders `script` to `output` (.svg or .png) at `width` × `height` pixels. `option` names the
/// command-line option for error messages ("--plot"). Data files are written beside the script,
/// which runs with that folder as its working directory.
void run_gnuplot(const std::string& option, const std::string& output, int width, int height,
                 const std::map<std::string, std::string>& data_files, const std::string& script);

/// Full path of `program` on PATH, or "" when absent.
std::string find_on_path(const std::string& program);

}  // namespace lowvolt::cli
