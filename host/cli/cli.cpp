#include "cli.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::cli {
namespace {

std::string known_names(const Registry& registry) {
  std::string names;
  for (const auto& [name, command] : registry.commands()) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names;
}

double parse_number(const std::string& option, const std::string& token) {
  const auto value = parse_real(token);
  if (!value) throw UsageError("option '--" + option + "': '" + token + "' is not a number");
  return *value;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

}  // namespace

void Registry::add(Command command) {
  LV_CHECK(!commands_.count(command.name), "command registered twice: " << command.name);
  commands_.emplace(command.name, std::move(command));
}

const Command& Registry::find(const std::string& name, const std::string& context) const {
  const auto it = commands_.find(name);
  if (it == commands_.end()) {
    throw UsageError(context + ": unknown subcommand '" + name + "' (known: " +
                     known_names(*this) + ")");
  }
  return it->second;
}

std::optional<po::variables_map> parse(const std::string& prog, const std::string& usage,
                                       const po::options_description& options, const Args& args,
                                       const po::positional_options_description* positional) {
  po::options_description all;
  all.add_options()("help,h", "print this help and exit");
  all.add(options);
  po::variables_map vm;
  try {
    po::command_line_parser parser(args);
    parser.options(all);
    if (positional != nullptr) {
      parser.positional(*positional);
    } else {
      parser.positional(po::positional_options_description());
    }
    po::store(parser.run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << prog << ' ' << usage << "\n\n" << all << std::flush;
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(prog + ": " + e.what());
  }
  return vm;
}

int dispatch(const std::string& prog, const std::string& summary, const Registry& registry,
             const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << "usage: " << prog << " <subcommand> [options]\n\n" << summary << "\n\nsubcommands:\n";
    for (const auto& [name, command] : registry.commands()) {
      std::printf("  %-12s %s\n", name.c_str(), command.summary.c_str());
    }
    std::cout << "\nRun '" << prog << " <subcommand> --help' for the options of one.\n";
    if (args.empty()) throw UsageError(prog + ": missing subcommand (known: " +
                                       known_names(registry) + ")");
    return 0;
  }
  if (!args[0].empty() && args[0][0] == '-') {
    throw UsageError(prog + ": unknown option '" + args[0] + "' (expected a subcommand: " +
                     known_names(registry) + ")");
  }
  const Command& command = registry.find(args[0], prog);
  return command.run(Args(args.begin() + 1, args.end()));
}

void print_json(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

po::typed_value<double>* real(double default_value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", default_value);
  return po::value<double>()->default_value(default_value, text);
}

std::vector<double> parse_rates(const std::string& option, const std::string& text) {
  std::vector<double> rates;
  for (std::string token : split(text, ',')) {
    if (token.empty()) throw UsageError("option '--" + option + "': empty entry in '" + text + "'");
    double scale = 1.0;
    if (token.back() == '%') {
      token.pop_back();
      scale = 0.01;
    }
    const double p = parse_number(option, token) * scale;
    if (!(p >= 0.0 && p <= 1.0)) {
      throw UsageError("option '--" + option + "': rate " + token + (scale < 1 ? "%" : "") +
                       " is outside [0, 1]");
    }
    rates.push_back(p);
  }
  if (rates.empty()) throw UsageError("option '--" + option + "': no rates given");
  return rates;
}

std::vector<double> parse_voltages(const std::string& option, const std::string& text) {
  std::vector<double> volts;
  const auto check = [&](double v) {
    profiles::check_supply(v, "option '--" + option + "'");
    return v;
  };
  if (text.find(':') != std::string::npos) {
    const auto parts = split(text, ':');
    if (parts.size() != 3) {
      throw UsageError("option '--" + option + "': expected start:stop:step, got '" + text + "'");
    }
    const double start = check(parse_number(option, parts[0]));
    const double stop = check(parse_number(option, parts[1]));
    double step = std::abs(parse_number(option, parts[2]));
    if (!(step > 0)) throw UsageError("option '--" + option + "': step must be positive");
    const double direction = stop >= start ? 1.0 : -1.0;
    const auto count = static_cast<long>(std::floor(std::abs(stop - start) / step + 1e-9)) + 1;
    if (count > 100000) throw UsageError("option '--" + option + "': more than 100000 voltages");
    for (long i = 0; i < count; ++i) {
      // Round to 1e-9 so that 1.0 - 3*0.01 prints and compares as 0.97.
      volts.push_back(std::round((start + direction * step * static_cast<double>(i)) * 1e9) / 1e9);
    }
  } else {
    for (const auto& token : split(text, ',')) {
      if (token.empty()) throw UsageError("option '--" + option + "': empty entry in '" + text + "'");
      volts.push_back(check(parse_number(option, token)));
    }
  }
  if (volts.empty()) throw UsageError("option '--" + option + "': no voltages given");
  return volts;
}

int main(int argc, char** argv, const std::shared_ptr<host::SweepExecutor>& executor) {
  Registry registry;
  register_commands(registry, executor);
  Args args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--version" || args[0] == "-V")) {
    std::cout << "lowvolt " << LOWVOLT_VERSION << '\n';
    return 0;
  }
  return dispatch("lowvolt",
                  "LowVolt: hardware-in-the-loop SRAM fault emulation for DNN accelerators.\n"
                  "Global options: --help, --version.",
                  registry, args);
}

}  // namespace lowvolt::cli
