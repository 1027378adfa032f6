#include "api/change_feed.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <memory>

#include "common/log.hpp"

namespace faultline::api {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(250);
constexpr auto kReconnectDelay = std::chrono::seconds(1);

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

}  // namespace

ChangeFeed::ChangeFeed(std::string database_url)
    : url_(std::move(database_url)), thread_([this] { run(); }) {}

ChangeFeed::~ChangeFeed() {
  stop_.request_stop();
  thread_.join();
}

void ChangeFeed::run() {
  bool warned = false;
  while (!stop_.stop_requested()) {
    listen_once();
    if (stop_.stop_requested())
      return;
    if (listening_.exchange(false) || !warned) {
      ++generation_;
      log::warn("not listening for analytics changes; answers are not cached until it is again");
      warned = true;
    }
    if (stop_.wait_for(kReconnectDelay))
      return;
  }
}

void ChangeFeed::listen_once() {
  Connection connection(PQconnectdb(url_.c_str()), &PQfinish);
  if (PQstatus(connection.get()) != CONNECTION_OK)
    return;
  Result listen(PQexec(connection.get(), "LISTEN faultline_analytics"), &PQclear);
  if (PQresultStatus(listen.get()) != PGRES_COMMAND_OK)
    return;
  ++generation_;
  listening_ = true;
  pollfd socket{PQsocket(connection.get()), POLLIN, 0};
  while (!stop_.stop_requested()) {
    const int ready = poll(&socket, 1, static_cast<int>(kPollInterval.count()));
    if (ready < 0 || (ready > 0 && PQconsumeInput(connection.get()) == 0))
      return;
    while (PGnotify* notification = PQnotifies(connection.get())) {
      PQfreemem(notification);
      ++generation_;
    }
  }
}

}  // namespace faultline::api
