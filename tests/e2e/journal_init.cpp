// journal_init PATH: makes an empty journal with reel's own schema
// (host/journal), for tests/e2e/tasks_cli_spec.lua to fill with the sqlite3
// CLI, so the spec keeps no copy of the schema that could drift from it.
#include <cstdio>
#include <exception>

#include "host/journal/journal.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: journal_init PATH\n");
    return 2;
  }
  try {
    reel::journal::Journal journal(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "journal_init: %s\n", e.what());
    return 1;
  }
  return 0;
}
