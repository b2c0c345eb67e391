// The operator subcommands' flags: `ksgate partner …`, `ksgate apptoken …` and `ksgate ks …`
// (docs/operations.md, "Operator CLI"). main.cc adds them to its command line, parses it, then
// asks Run for the exit code of the one that was chosen; the work is done by commands.h.
#pragma once

#include <memory>
#include <optional>

namespace CLI {
class App;
}  // namespace CLI

namespace ksgate::cli {

class OperatorCommands {
 public:
  // Adds the subcommands to `app`, with a description for every option (what --help prints).
  // Flag values are stored in *this, which must outlive the parse.
  explicit OperatorCommands(CLI::App& app);
  ~OperatorCommands();

  OperatorCommands(const OperatorCommands&) = delete;
  OperatorCommands& operator=(const OperatorCommands&) = delete;

  // After a successful parse: the exit code of the operator subcommand that was given (which
  // it runs), or nullopt when the command line named another one (serve, migrate).
  std::optional<int> Run() const;

  // The subcommands' flag values (operator_flags.cc).
  struct Flags;

 private:
  std::unique_ptr<Flags> flags_;
};

}  // namespace ksgate::cli
