// The only translation unit that includes CLI11 (it is slow to compile).
#include "host/cli/commands.hpp"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/lua_cli.hpp"
#include "host/cli/callbacks_command.hpp"
#include "host/cli/probe_command.hpp"
#include "host/cli/sim_command.hpp"
#include "host/cli/tasks_command.hpp"
#include "host/plugin/plugin.hpp"

namespace reel::cli {

namespace {

int usage_error(const std::string& what) {
  std::fprintf(stderr, "reel: %s\nRun 'reel --help' for usage.\n", what.c_str());
  return lua::kExitUsage;
}

// A command whose code is in one of reel's modules (it needs FFmpeg and the
// like): its entry point, or nullptr after saying why it cannot be loaded.
void* command_entry(const char* command, const char* module, const char* symbol) {
  try {
    return plugin::symbol(module, symbol);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reel %s: %s\n", command, e.what());
    return nullptr;
  }
}

int run_probe(const ProbeOptions& options) {
  auto entry = reinterpret_cast<ProbeEntry>(command_entry("probe", kProbeModule, kProbeEntry));
  return entry != nullptr ? entry(options) : lua::kExitScriptError;
}

int run_sim(const SimCommand& command) {
  auto entry = reinterpret_cast<SimEntry>(command_entry("sim", kSimModule, kSimEntry));
  return entry != nullptr ? entry(command) : lua::kExitScriptError;
}

int run_callbacks(const CallbacksOptions& options) {
  auto entry = reinterpret_cast<CallbacksEntry>(
      command_entry("callbacks", kCallbacksModule, kCallbacksEntry));
  return entry != nullptr ? entry(options) : lua::kExitScriptError;
}

int run_tasks(const TasksOptions& options) {
  auto entry = reinterpret_cast<TasksEntry>(command_entry("tasks", kTasksModule, kTasksEntry));
  return entry != nullptr ? entry(options) : lua::kExitScriptError;
}

// `reel test` runs the simulator fifty times faster than the service: a
// spec that renders a board waits seconds, not minutes.
constexpr double kTestSpeed = 50;

// A new folder under $TMPDIR (else /tmp) named NAME.XXXXXX; "" after saying
// why it could not be made.
std::string temp_folder(const char* who, const char* name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + name + ".XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "reel: %s: cannot make a temporary folder %s: %s\n", who, pattern.c_str(),
                 std::strerror(errno));
    return "";
  }
  return pattern;
}

// The options `run` and `repl` share. They reach the vidu module (loaded
// later, maybe by busted under --lua=reel) through the environment, so a
// script started any other way can set the same variables.
struct ClientOptions {
  bool sim = false;
  bool plan = false;  // run only
  double speed = 1;
  std::string faults;
  std::string dialect;
  std::string key_file;
  std::string out;
  std::string journal;
  bool retry_failed = false;
  bool quiet = false;
  bool sandbox = false;
  std::vector<std::string> libs;  // --lib DIR: library folders, before REEL_PATH's

  void add_to(CLI::App* app) {
    app->add_flag("--sim", sim,
                  "start the Vidu simulator in this process and point VIDU_BASE_URL at it");
    app->add_option("--speed", speed, "with --sim: generation-time scale (10 = ten times faster)")
        ->check(CLI::PositiveNumber);
    app->add_option("--faults", faults, "with --sim: faults to inject, e.g. 429=0.1,drop=0.02");
    app->add_option("--dialect", dialect, "wire format: vidu (default) or vtrix (VIDU_DIALECT)")
        ->check(CLI::IsMember({"vidu", "vtrix"}));
    app->add_option("--key-file", key_file,
                    "read the API key from the first line of FILE instead of VIDU_API_KEY");
    app->add_option("--out", out, "folder for downloads, frames and films (default ./out)");
    app->add_option("--journal", journal,
                    "the journal of tasks, replayed by the next run (default .reel/journal.db)");
    app->add_flag("--retry-failed", retry_failed,
                  "create anew the calls whose task failed in an earlier run");
    app->add_flag("--quiet", quiet, "no progress lines");
    app->add_flag("--sandbox", sandbox,
                  "run untrusted library code without os.execute, io.popen, C modules; files "
                  "only under the script's folder, libraries and --out");
    app->add_option("--lib", libs,
                    "a folder of Lua libraries, searched after the script's folder and ./lib "
                    "(before REEL_PATH; repeatable)")
        ->allow_extra_args(false)  // one folder per --lib: the script comes after
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }

  void add_plan_to(CLI::App* app) {
    app->add_flag("--plan", plan,
                  "run the script on the simulator at full speed and print each request it "
                  "would submit with its credits; nothing reaches the real service");
  }

  // `run --plan` (DESIGN.md): the simulator in this process as fast as it
  // goes, no progress, and a journal and out folder of the plan's own in a
  // fresh temporary folder, so that the user's journal, --out and key are
  // neither read nor written (the plan wins over --sim, --journal, --out,
  // --key-file). The folder goes at the end, also after os.exit (atexit).
  bool start_plan() {
    std::string pattern = temp_folder("--plan", "reel-plan");
    if (pattern.empty() || pattern.size() >= sizeof plan_folder) return false;
    std::snprintf(plan_folder, sizeof plan_folder, "%s", pattern.c_str());
    std::atexit(finish_plan);
    try {
      // Loaded now, so the total can be read from an atexit handler.
      plan_totals = reinterpret_cast<PlanTotals>(plugin::symbol(kTasksModule, kPlanTotals));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "reel: --plan: %s\n", e.what());
      return false;
    }
    sim = true;
    speed = kPlanSpeed;
    quiet = true;
    journal = pattern + "/journal.db";
    out = pattern + "/out";
    key_file.clear();
    retry_failed = false;
    unsetenv("VIDU_API_KEY");  // the simulator's placeholder key instead
    unsetenv("REEL_KEY_FILE");
    setenv("REEL_PLAN", "1", 1);  // the vidu module prints the plan lines
    return true;
  }

  // Prints the total once the script has run (plan_ran) and removes the
  // plan's folder; once, whether called at the end of `run` or at exit.
  static void finish_plan() {
    if (plan_folder[0] == '\0') return;
    if (plan_ran && plan_totals != nullptr) {
      long long requests = 0;
      long long credits = 0;
      plan_totals(&requests, &credits);
      std::printf(
          "plan: %lld request%s, ~%lld credits in total (nothing was sent to the real "
          "service)\n",
          requests, requests == 1 ? "" : "s", credits);
      std::fflush(stdout);
    }
    std::error_code ec;
    std::filesystem::remove_all(plan_folder, ec);
    plan_folder[0] = '\0';
  }

  // What the simulator's clock is sped up by under --plan: tasks of 10 s are
  // done in milliseconds, and the client's polls keep pace.
  static constexpr double kPlanSpeed = 1000;
  // The vidu module's tally (bindings/vidu_tasks.cpp).
  using PlanTotals = void (*)(long long* requests, long long* credits);
  static constexpr const char* kPlanTotals = "reel_plan_totals";
  // No destructors: read by finish_plan at exit.
  static inline char plan_folder[4096] = "";
  static inline PlanTotals plan_totals = nullptr;
  static inline bool plan_ran = false;

  void export_settings() const {
    if (!dialect.empty()) setenv("VIDU_DIALECT", dialect.c_str(), 1);
    if (!key_file.empty()) setenv("REEL_KEY_FILE", key_file.c_str(), 1);
    if (!out.empty()) setenv("REEL_OUT", out.c_str(), 1);
    if (!journal.empty()) setenv("REEL_JOURNAL", journal.c_str(), 1);
    if (retry_failed) setenv("REEL_RETRY_FAILED", "1", 1);
    if (quiet) setenv("REEL_QUIET", "1", 1);
    if (sandbox) setenv("REEL_SANDBOX", "1", 1);
    if (!libs.empty()) {
      std::string path;
      for (const std::string& dir : libs) path += (path.empty() ? "" : ":") + dir;
      if (const char* old = std::getenv("REEL_PATH"); old != nullptr && *old != '\0')
        path += std::string(":") + old;
      setenv("REEL_PATH", path.c_str(), 1);
    }
  }
};

// `--sim`: the simulator in this process while the script runs. The script
// (and the vidu client) find it through VIDU_BASE_URL; a placeholder key is
// set when none is, since the simulator takes any non-empty key. The
// client's poll clock runs as fast as the simulator's task clock.
class InProcessSim {
 public:
  bool start(const ClientOptions& client) {
    try {
      auto start = reinterpret_cast<SimStart>(plugin::symbol(kSimModule, kSimStartEntry));
      stop_ = reinterpret_cast<SimStop>(plugin::symbol(kSimModule, kSimStopEntry));
      sim::Options options;
      options.quiet = true;
      options.speed = client.speed;
      options.faults = client.faults;
      options.data_dir = data_dir_for(client);
      options.persist = true;
      std::string url;
      std::string error;
      handle_ = start(options, &url, &error);
      if (handle_ == nullptr) throw std::runtime_error(error);
      setenv("VIDU_BASE_URL", url.c_str(), 1);
      // The journal knows the simulator by its folder, not by its port.
      setenv("REEL_SERVICE_ID", ("sim:" + options.data_dir).c_str(), 1);
      if (std::getenv("VIDU_API_KEY") == nullptr && client.key_file.empty())
        setenv("VIDU_API_KEY", "reel-sim", 0);
      setenv("REEL_TIME_SCALE", std::to_string(client.speed).c_str(), 1);
      return true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "reel: --sim: cannot start the simulator: %s\n", e.what());
      return false;
    }
  }
  ~InProcessSim() {
    if (handle_ != nullptr) stop_(handle_);
  }

 private:
  // `sim` beside the journal (--journal, else REEL_JOURNAL, else
  // .reel/journal.db), made if missing, as an absolute canonical path: the
  // simulator keeps its tasks and files there, so that what the journal
  // recorded against it in one run is still there in the next.
  static std::string data_dir_for(const ClientOptions& client) {
    std::string journal = client.journal;
    if (journal.empty()) {
      const char* env = std::getenv("REEL_JOURNAL");
      journal = env != nullptr && *env != '\0' ? env : ".reel/journal.db";
    }
    const std::filesystem::path dir = std::filesystem::path(journal).parent_path() / "sim";
    std::filesystem::create_directories(dir);
    return std::filesystem::canonical(dir).string();
  }

  void* handle_ = nullptr;
  SimStop stop_ = nullptr;
};

// Removes the folder at exit: busted ends with os.exit.
void remove_at_exit(const std::string& folder) {
  static std::vector<std::string>* folders = nullptr;
  if (folders == nullptr) {
    folders = new std::vector<std::string>;
    std::atexit([] {
      std::error_code ec;
      for (const std::string& f : *folders) std::filesystem::remove_all(f, ec);
    });
  }
  folders->push_back(folder);
}

// A program on PATH, or "".
std::string find_program(const char* name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string file = dirs.substr(start, end - start) + "/" + name;
    if (end > start && access(file.c_str(), X_OK) == 0) return file;
    start = end + 1;
  }
  return "";
}

// `reel test [DIR]`: Debian's busted, run as a script in this process (so
// its specs see vidu, media, async and the simulator started here), from
// DIR, with DIR among the library folders. The journal and --out are in a
// fresh temporary folder unless given: a spec's tasks never replay another
// run's. Exit status: busted's (the number of failures and errors).
int run_tests(const char* program, ClientOptions& client, const std::string& dir,
              const std::vector<std::string>& extra, bool speed_given) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return usage_error("test: " + dir + " is not a folder; give the library's folder");
  const std::string busted = find_program("busted");
  if (busted.empty())
    return usage_error("test: busted is not on PATH; install Debian's lua-busted");
  const std::string library = std::filesystem::canonical(dir, ec).string();
  if (client.journal.empty() || client.out.empty()) {
    const std::string scratch = temp_folder("test", "reel-test");
    if (scratch.empty()) return lua::kExitScriptError;
    remove_at_exit(scratch);
    if (client.journal.empty()) client.journal = scratch + "/journal.db";
    if (client.out.empty()) client.out = scratch + "/out";
  }
  client.sim = true;
  client.quiet = true;  // busted's report is the output
  if (!speed_given) client.speed = kTestSpeed;
  client.libs.insert(client.libs.begin(), library);
  client.export_settings();
  InProcessSim simulator;
  if (!simulator.start(client)) return lua::kExitScriptError;

  std::vector<std::string> args{program, busted, "--directory=" + library};
  const bool has_spec_folder = std::filesystem::is_directory(library + "/spec", ec);
  args.insert(args.end(), extra.begin(), extra.end());
  if (!has_spec_folder) args.push_back(".");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return lua::run_script(static_cast<int>(args.size()), argv.data(), 1);
}

}  // namespace

bool is_reel_command(const char* arg) {
  for (const char* name : {"run", "repl", "test", "probe", "sim", "tasks", "callbacks", "--help",
                           "-h", "--version", "--paths"}) {
    if (std::strcmp(arg, name) == 0) return true;
  }
  return false;
}

int run_reel_command(int argc, char** argv) {
  CLI::App app{"reel: script the Vidu generative-video API in Lua", "reel"};
  app.footer(std::string("\nreel also takes the lua5.4 command line, unchanged:\n"
                         "  reel [options] [script [args]]\n") +
             lua::kLuaOptionList);
  app.require_subcommand(0, 1);
  bool show_version = false;
  bool show_paths = false;
  app.add_flag("--version", show_version, "print reel's version and exit");
  app.add_flag("--paths", show_paths, "print where modules are looked up, in order");

  CLI::App* run = app.add_subcommand("run", "run a Lua script (reel SCRIPT.lua ... also works)");
  run->prefix_command();  // SCRIPT and everything after it belong to the script
  run->footer("usage: reel run [OPTIONS] SCRIPT.lua [ARGS...]");
  ClientOptions client;
  client.add_to(run);
  client.add_plan_to(run);

  CLI::App* repl = app.add_subcommand("repl", "interactive Lua with the reel modules loaded");
  client.add_to(repl);

  CLI::App* test = app.add_subcommand(
      "test",
      "run a library's specs (busted) with the simulator in this process: no key, no credits");
  test->prefix_command();  // DIR and what follows it (busted's options) are remaining()
  test->footer(
      "usage: reel test [OPTIONS] [DIR] [BUSTED OPTIONS...]\n"
      "DIR is the library's folder (default .): its specs are DIR/spec/*_spec.lua, or any "
      "*_spec.lua under DIR; options after DIR (or after --) are busted's, e.g. -o TAP");
  client.add_to(test);

  ProbeOptions probe_options;
  CLI::App* probe = app.add_subcommand("probe", "media facts, and checks against Vidu's limits");
  probe->add_option("FILE", probe_options.files, "video or image files")->required();
  probe->add_flag("--json", probe_options.json, "print JSON");
  probe
      ->add_option("--for", probe_options.use,
                   "check the limits for a use: extend, reference, image, start_end (two images)")
      ->check(CLI::IsMember({"extend", "reference", "image", "start_end"}));

  SimCommand sim_command;
  sim::Options& so = sim_command.options;
  CLI::App* sim = app.add_subcommand("sim", "run the Vidu simulator on a loopback port");
  sim->add_option("--port", so.port, "port to listen on (0: any free port)")
      ->check(CLI::Range(0, 65535));
  sim->add_option("--host", so.host, "address to listen on")->capture_default_str();
  sim->add_option("--dialect", sim_command.dialect, "the dialect to announce (both are served)")
      ->check(CLI::IsMember({"vidu", "vtrix"}));
  sim->add_option("--speed", so.speed, "generation-time scale (10 = ten times faster)")
      ->check(CLI::PositiveNumber);
  sim->add_option("--faults", so.faults, "faults to inject, e.g. 429=0.1,500=0.05,drop=0.02");
  sim->add_option("--key", so.key, "the API key to accept (default: any non-empty key)");
  sim->add_option("--data", so.data_dir, "folder for the generated files");
  sim->add_option("--concurrency", so.concurrency, "tasks processed at once (default 5)")
      ->check(CLI::PositiveNumber);
  sim->add_option("--url-ttl", so.url_ttl, "seconds result URLs stay valid (default 86400)")
      ->check(CLI::PositiveNumber);
  sim->add_option("--credits", so.credits, "starting credit balance");
  sim->add_flag("--quiet", so.quiet, "no request log");

  // `reel tasks` is `reel tasks list`; the options may follow the action
  // (fallthrough), as in `reel tasks show 3 --json`.
  TasksOptions tasks_options;
  std::string tasks_dialect;
  std::string tasks_key_file;
  CLI::App* tasks = app.add_subcommand("tasks", "list, show or cancel the tasks in the journal");
  tasks->require_subcommand(0, 1);
  tasks->add_option("--journal", tasks_options.journal,
                    "the journal (default $REEL_JOURNAL, else .reel/journal.db)");
  tasks->add_flag("--json", tasks_options.json, "print JSON");
  CLI::Option* tasks_all = tasks->add_flag("--all", tasks_options.all, "list: every call");
  CLI::Option* tasks_limit =
      tasks->add_option("--limit", tasks_options.limit, "list: the N most recent calls (50)")
          ->check(CLI::PositiveNumber);
  tasks->add_option("--dialect", tasks_dialect, "cancel: wire format, vidu (default) or vtrix")
      ->check(CLI::IsMember({"vidu", "vtrix"}));
  tasks->add_option("--key-file", tasks_key_file,
                    "cancel: read the API key from the first line of FILE, not VIDU_API_KEY");
  CLI::App* tasks_list = tasks->add_subcommand("list", "the calls, most recent first");
  CLI::App* tasks_show =
      tasks->add_subcommand("show", "one call: every field, the states seen, the request");
  CLI::App* tasks_cancel =
      tasks->add_subcommand("cancel", "cancel a remote task that has not started yet");
  for (CLI::App* action : {tasks_list, tasks_show, tasks_cancel}) action->fallthrough();
  for (CLI::App* action : {tasks_show, tasks_cancel}) {
    action->add_option("ID", tasks_options.id, "the journal's row id, or the remote task id")
        ->required();
  }

  CallbacksOptions callbacks_options;
  CLI::App* callbacks =
      app.add_subcommand("callbacks", "receive and verify Vidu callbacks into the journal");
  callbacks
      ->add_option("--listen", callbacks_options.listen,
                   "HOST:PORT to listen on, e.g. 0.0.0.0:8080 (port 0: any free port)")
      ->required();
  callbacks->add_option("--journal", callbacks_options.journal,
                        "the journal (default $REEL_JOURNAL, else .reel/journal.db)");
  callbacks->add_option("--key-file", callbacks_options.key_file,
                        "read the API key (the signing secret) from the first line of FILE "
                        "instead of VIDU_API_KEY");
  callbacks
      ->add_option("--max-skew", callbacks_options.max_skew,
                   "seconds a callback's Date may be away from now (default 300)")
      ->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return lua::kExitOk;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e);
      return lua::kExitOk;
    }
    return usage_error(e.what());
  }

  if (show_version) {
    std::printf("reel %s (Lua 5.4)\n", REEL_VERSION);
    return lua::kExitOk;
  }
  if (show_paths) return lua::print_module_paths();

  if (*run) {
    const auto rest = run->remaining();
    if (rest.empty()) return usage_error("run: which script? usage: reel run SCRIPT.lua [ARGS...]");
    if (rest.front().size() > 1 && rest.front()[0] == '-') {
      return usage_error("run: unknown option '" + rest.front() + "'; see 'reel run --help'");
    }
    const int script = argc - static_cast<int>(rest.size());
    if (client.plan && !client.faults.empty())
      return usage_error("run: --plan prices what the script asks for; it takes no --faults");
    if (!client.sim && !client.plan && (!client.faults.empty() || client.speed != 1))
      return usage_error("run: --speed and --faults configure the simulator; add --sim");
    if (client.plan && !client.start_plan()) {
      ClientOptions::finish_plan();
      return lua::kExitScriptError;
    }
    client.export_settings();
    int status = lua::kExitScriptError;
    {
      InProcessSim simulator;  // stopped before the plan's folder goes
      if (!client.sim || simulator.start(client)) {
        ClientOptions::plan_ran = client.plan;
        status = lua::run_script(argc, argv, script);
      }
    }
    ClientOptions::finish_plan();
    return status;
  }
  if (*repl) {
    client.export_settings();
    InProcessSim simulator;
    if (client.sim && !simulator.start(client)) return lua::kExitScriptError;
    return lua::run_repl(argc, argv);
  }
  if (*test) {
    if (client.plan) return usage_error("test: --plan is for run");
    if (client.sandbox)
      return usage_error(
          "test: --sandbox is for run and repl (busted itself needs os and C modules); in "
          "the specs, call the library through reel.sandbox(fn, ...)");
    std::vector<std::string> rest = test->remaining();
    std::string dir = ".";
    if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
    if (!rest.empty() && rest.front()[0] != '-') {
      dir = rest.front();
      rest.erase(rest.begin());
    }
    if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
    return run_tests(argv[0], client, dir, rest, test->count("--speed") > 0);
  }
  if (*probe) return run_probe(probe_options);
  if (*sim) return run_sim(sim_command);
  if (*callbacks) return run_callbacks(callbacks_options);
  if (*tasks) {
    if (*tasks_show) tasks_options.action = "show";
    if (*tasks_cancel) tasks_options.action = "cancel";
    if (tasks_options.action != "list" && (tasks_all->count() > 0 || tasks_limit->count() > 0))
      return usage_error("tasks " + tasks_options.action + ": --all and --limit are for the list");
    if (!tasks_dialect.empty()) setenv("VIDU_DIALECT", tasks_dialect.c_str(), 1);
    if (!tasks_key_file.empty()) setenv("REEL_KEY_FILE", tasks_key_file.c_str(), 1);
    return run_tasks(tasks_options);
  }
  std::cout << app.help();
  return lua::kExitOk;
}

}  // namespace reel::cli
