// host/term/screen: what others write while the REPL's prompt is up goes
// above it (the prompt hidden first, drawn again after), and the board's
// listeners hear when the REPL is between lines.
#include "host/term/screen.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace reel::term {
namespace {

// A real file standing in for the terminal: the prompt's hide and show
// write markers into it, so the order of everything is visible.
class ScreenTest : public ::testing::Test {
 protected:
  void SetUp() override { file_ = std::tmpfile(); }
  void TearDown() override {
    screen::prompt_down();
    screen::between_lines(false);
    std::fclose(file_);
  }

  std::string contents() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    for (int c = std::fgetc(file_); c != EOF; c = std::fgetc(file_)) text += static_cast<char>(c);
    return text;
  }

  screen::Prompt markers() {
    return {[this] { std::fputs("[hide]", file_); }, [this] { std::fputs("[show]", file_); }};
  }

  std::FILE* file_ = nullptr;
};

TEST_F(ScreenTest, WritesGoStraightOutWhenNoPromptIsUp) {
  screen::write(file_, "done\n");
  EXPECT_EQ(contents(), "done\n");
}

TEST_F(ScreenTest, WritesGoAboveThePromptThatIsUp) {
  screen::prompt_up(markers());
  screen::write(file_, "open done\n");
  screen::write(file_, "");  // nothing to write: the prompt stays
  EXPECT_EQ(contents(), "[hide]open done\n[show]");
}

TEST_F(ScreenTest, AWriteInsideAnAsideDoesNotHideThePromptTwice) {
  screen::prompt_up(markers());
  {
    screen::Aside aside;
    screen::write(file_, "a\n");
    screen::write(file_, "b\n");
  }
  EXPECT_EQ(contents(), "[hide]a\nb\n[show]");
}

TEST_F(ScreenTest, APromptThatWentDownIsLeftAlone) {
  screen::prompt_up(markers());
  screen::prompt_down();
  screen::write(file_, "x\n");
  EXPECT_EQ(contents(), "x\n");
}

TEST_F(ScreenTest, ListenersHearEachChangeOnceUntilForgotten) {
  std::string heard;
  const int id = screen::listen([&heard](bool between) { heard += between ? "B" : "R"; });
  screen::between_lines(true);
  screen::between_lines(true);  // no change: not said again
  EXPECT_TRUE(screen::is_between_lines());
  screen::between_lines(false);
  screen::forget(id);
  screen::between_lines(true);
  EXPECT_EQ(heard, "BR");
}

}  // namespace
}  // namespace reel::term
