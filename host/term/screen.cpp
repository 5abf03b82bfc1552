#include "host/term/screen.hpp"

#include <map>
#include <utility>

namespace reel::term::screen {

namespace {

struct State {
  Prompt prompt;
  bool up = false;
  bool between = false;
  int next_id = 0;
  std::map<int, std::function<void(bool)>> listeners;
};

// Never destroyed: the progress board may write from static destructors.
State& state() {
  static auto* s = new State;
  return *s;
}

}  // namespace

void prompt_up(Prompt prompt) {
  state().prompt = std::move(prompt);
  state().up = true;
}

void prompt_down() {
  state().up = false;
}

Aside::Aside() : hid_(state().up) {
  if (!hid_) return;
  state().up = false;  // a write inside does not hide it twice
  state().prompt.hide();
}

Aside::~Aside() {
  if (!hid_) return;
  state().up = true;
  state().prompt.show();
}

void write(std::FILE* out, std::string_view text) {
  if (text.empty()) return;
  Aside aside;
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

void between_lines(bool between) {
  if (state().between == between) return;
  state().between = between;
  // A copy: a listener may forget itself.
  const auto listeners = state().listeners;
  for (const auto& [id, listener] : listeners) listener(between);
}

bool is_between_lines() {
  return state().between;
}

int listen(std::function<void(bool between)> listener) {
  const int id = ++state().next_id;
  state().listeners.emplace(id, std::move(listener));
  return id;
}

void forget(int id) {
  state().listeners.erase(id);
}

}  // namespace reel::term::screen
