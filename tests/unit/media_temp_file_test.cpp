// host/media/temp_file: the hidden part names reel writes before renaming,
// and the sweep of parts that killed processes left behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "host/media/temp_file.hpp"

namespace {

namespace fs = std::filesystem;

struct TempFileTest : ::testing::Test {
  fs::path dir = fs::temp_directory_path() /
                 ("reel-temp-file-" + std::to_string(std::random_device{}() % 1000000000));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
  void touch(const std::string& name) { std::ofstream(dir / name) << "x"; }
};

pid_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return child;
}

TEST_F(TempFileTest, IsAHiddenUniqueNameBesideTheOutput) {
  const std::string out = (dir / "film.mp4").string();
  const fs::path a = reel::media::temporary_path(out);
  const fs::path b = reel::media::temporary_path(out);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.parent_path(), dir);
  const std::string name = a.filename().string();
  EXPECT_EQ(name.rfind(".film.mp4." + std::to_string(getpid()) + "-", 0), 0u) << name;
  EXPECT_EQ(a.extension(), ".part");
}

TEST_F(TempFileTest, PartsOfDeadProcessesGoPartsOfLiveOnesAndOtherFilesStay) {
  const std::string dead = std::to_string(dead_pid());
  touch(".film.mp4." + dead + "-0.part");           // left by a kill -9: removed
  touch(".film.mp4." + dead + "-7.part");           // likewise
  touch(".film.mp4.1-0.part");                      // pid 1 runs: kept
  touch(".other.mp4." + dead + "-0.part");          // another output's: not this sweep's
  touch("film.mp4");                                // the output itself
  touch(".film.mp4.notapid.part");                  // not reel's pattern
  reel::media::temporary_path((dir / "film.mp4").string());
  EXPECT_FALSE(fs::exists(dir / (".film.mp4." + dead + "-0.part")));
  EXPECT_FALSE(fs::exists(dir / (".film.mp4." + dead + "-7.part")));
  EXPECT_TRUE(fs::exists(dir / ".film.mp4.1-0.part"));
  EXPECT_TRUE(fs::exists(dir / (".other.mp4." + dead + "-0.part")));
  EXPECT_TRUE(fs::exists(dir / "film.mp4"));
  EXPECT_TRUE(fs::exists(dir / ".film.mp4.notapid.part"));
}

}  // namespace
