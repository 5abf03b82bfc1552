#include "bindings/offload.hpp"

#include <lua.hpp>

#include <memory>
#include <new>

#include "bindings/scheduler.hpp"

namespace reel::lua {

namespace {

constexpr const char* kJobMetatable = "reel.PoolJob";

struct Job {
  PoolWork work;
  PoolFinish finish;
  std::exception_ptr error;
  Scheduler* scheduler = nullptr;
  Wake wake;
  bool abandoned = false;  // the waiting fiber is gone (state closing): do not wake it
};

// The Lua side holds the job in a userdata on the waiting fiber's stack; the
// pool request holds it too, since the fiber may be collected first.
using JobRef = std::shared_ptr<Job>;

struct Request {
  uv_work_t req{};
  JobRef job;
};

int job_gc(lua_State* L) {
  auto* ref = static_cast<JobRef*>(luaL_checkudata(L, 1, kJobMetatable));
  (*ref)->abandoned = true;
  ref->~JobRef();
  return 0;
}

void run_work(Job& job) {
  try {
    job.work();
  } catch (...) {
    job.error = std::current_exception();
  }
}

int finish_k(lua_State* L, int /*status*/, lua_KContext /*ctx*/) {
  JobRef job = *static_cast<JobRef*>(luaL_checkudata(L, -1, kJobMetatable));
  lua_pop(L, 1);
  return job->finish(L, job->error);
}

}  // namespace

int run_in_pool(lua_State* L, PoolWork work, PoolFinish finish) {
  Fiber* self = Scheduler::current(L);
  if (self == nullptr || !lua_isyieldable(L)) {
    Job job;
    job.work = std::move(work);
    job.finish = std::move(finish);
    run_work(job);
    return job.finish(L, job.error);
  }

  auto job = std::make_shared<Job>();
  job->work = std::move(work);
  job->finish = std::move(finish);
  job->scheduler = self->scheduler;

  auto* ref = new (lua_newuserdatauv(L, sizeof(JobRef), 0)) JobRef(job);
  (void)ref;
  if (luaL_newmetatable(L, kJobMetatable)) {
    lua_pushcfunction(L, job_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);

  auto* request = new Request{{}, job};
  request->req.data = request;
  job->wake = self->scheduler->suspend(self);
  const int rc = uv_queue_work(
      self->scheduler->loop().get(), &request->req,
      [](uv_work_t* req) { run_work(*static_cast<Request*>(req->data)->job); },
      [](uv_work_t* req, int /*status*/) {
        std::unique_ptr<Request> done(static_cast<Request*>(req->data));
        if (!done->job->abandoned) done->job->scheduler->wake(done->job->wake);
      });
  if (rc != 0) {
    delete request;
    return luaL_error(L, "cannot queue work on the thread pool: %s", uv_strerror(rc));
  }
  return lua_yieldk(L, 0, 0, finish_k);
}

}  // namespace reel::lua
