// The one list of the `lowvolt` program's commands; each cmd_<name>.cpp defines its
// register_<name>_command(). Adding a command = one declaration and one call here.
#include "cli.h"

namespace lowvolt::cli {

void register_info_command(Registry& registry);
void register_profile_command(Registry& registry);
void register_train_command(Registry& registry);
void register_eval_command(Registry& registry,
                           const std::shared_ptr<host::SweepExecutor>& executor);
void register_curve_command(Registry& registry,
                            const std::shared_ptr<host::SweepExecutor>& executor);

void register_commands(Registry& registry,
                       const std::shared_ptr<host::SweepExecutor>& executor) {
  register_info_command(registry);
  register_profile_command(registry);
  register_train_command(registry);
  register_eval_command(registry, executor);
  register_curve_command(registry, executor);
}

}  // namespace lowvolt::cli
