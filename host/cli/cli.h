#pragma once
// The command-line framework: a registry of named subcommands and the Boost.Program_options
// parsing every command shares. Contract:
//  - A command receives its own arguments (argv after the subcommand name) and returns the exit
//    status. It reports user mistakes by throwing lowvolt::Error (exit 1) or lowvolt::UsageError
//    (exit 2); only main() catches.
//  - parse() handles --help for every command and turns every Program_options error (unknown
//    option, missing value, bad number) into a one-line UsageError naming the option.
#include <boost/program_options.hpp>
#include <nlohmann/json_fwd.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lowvolt::host {
class SweepExecutor;
}  // namespace lowvolt::host

namespace lowvolt::cli {

namespace po = boost::program_options;

/// Registers the accelerator backends the program offers (backends.cpp: golden, rtl).
void register_backends();
/// The registered backends for a --backend help text, each with its summary; `with_torch` puts
/// the torch backend (fake quantization, not an accelerator) first.
std::string backend_help(bool with_torch);

/// Arguments of one (sub)command, without the program or subcommand name.
using Args = std::vector<std::string>;

/// A named subcommand.
struct Command {
  std::string name;                      ///< as typed: "train", "profile"
  std::string summary;                   ///< one line for `lowvolt --help`
  std::function<int(const Args&)> run;   ///< returns the exit status
};

/// Subcommands by name; an unknown name is a UsageError that lists the known ones.
class Registry {
 public:
  void add(Command command);
  const Command& find(const std::string& name, const std::string& context) const;
  const std::map<std::string, Command>& commands() const { return commands_; }

 private:
  std::map<std::string, Command> commands_;
};

/// Parses `args` for the command `prog` ("lowvolt eval"). `usage` is the synopsis line printed
/// above the options by --help. Returns std::nullopt after printing help (the command should
/// return 0). `positional` may name options that take positional arguments.
std::optional<po::variables_map> parse(const std::string& prog, const std::string& usage,
                                       const po::options_description& options, const Args& args,
                                       const po::positional_options_description* positional =
                                           nullptr);

/// Runs the subcommand named by args[0] from `registry` ("lowvolt profile generate ...").
/// With no arguments or --help, prints the list of subcommands.
int dispatch(const std::string& prog, const std::string& summary, const Registry& registry,
             const Args& args);

/// A floating-point option with a default that --help prints as a person writes it ("0.05", not
/// Boost's round-trip "0.050000000000000003").
po::typed_value<double>* real(double default_value);


/// Prints `j` on stdout, indented, as valid JSON even when a string in it (a path, a profile's
/// provenance) is not UTF-8: invalid bytes become U+FFFD instead of failing after the work.
void print_json(const nlohmann::json& j);

/// Parses a comma-separated list of rates: "0.001,0.01" or "0.1%,1%". Each must lie in [0, 1].
std::vector<double> parse_rates(const std::string& option, const std::string& text);

/// Parses a voltage grid "1.0:0.7:0.01" (start:stop:step, either direction, inclusive) or a
/// comma-separated list "1.0,0.9,0.85". Voltages are × Vmin and must lie in (0, 2].
std::vector<double> parse_voltages(const std::string& option, const std::string& text);

/// Fills `registry` with every command of the `lowvolt` program; the commands that distribute
/// their work run their sweeps on `executor` (nullptr: in this process).
void register_commands(Registry& registry, const std::shared_ptr<host::SweepExecutor>& executor);

/// The `lowvolt` program: global --help/--version, then the subcommand. `executor` is the MPI
/// session's (nullptr without MPI).
int main(int argc, char** argv, const std::shared_ptr<host::SweepExecutor>& executor = nullptr);

}  // namespace lowvolt::cli
