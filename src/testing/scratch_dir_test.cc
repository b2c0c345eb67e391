#include "testing/scratch_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ksgate::testing {
namespace {

TEST(ScratchDir, IsAFreshDirectoryRemovedWithItsContents) {
  std::filesystem::path kept;
  {
    ScratchDir dir;
    kept = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(kept));
    EXPECT_TRUE(std::filesystem::is_empty(kept));
    std::filesystem::create_directories(kept / "a" / "b");
    std::ofstream(kept / "a" / "b" / "file") << "x";
    ScratchDir other;
    EXPECT_NE(other.path(), kept);
  }
  EXPECT_FALSE(std::filesystem::exists(kept));
}

}  // namespace
}  // namespace ksgate::testing
