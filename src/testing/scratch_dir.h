// ScratchDir: a fresh directory under the system temp dir for one test, removed with its
// contents on destruction. Test targets only.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace ksgate::testing {

class ScratchDir {
 public:
  // Aborts if the directory cannot be created (the test machine is unusable).
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ksgate_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ksgate::testing
