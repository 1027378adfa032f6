// faultline-bench-ceiling: a bare Pistache handler answering 202 with no work,
// configured like faultline-ingest. What ingest is measured against.
//   faultline-bench-ceiling PORT [THREADS]

#include <pistache/endpoint.h>

#include <cstdlib>
#include <iostream>

#include "common/http.hpp"

namespace {

class Ceiling : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(Ceiling)
  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter response) override {
    faultline::http::set_connection(request, response);
    faultline::http::send(response, faultline::http::json_reply(202, "{}"));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: faultline-bench-ceiling PORT [THREADS]\n";
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  faultline::http::block_termination_signals();
  Pistache::Http::Endpoint endpoint(Pistache::Address("127.0.0.1", Pistache::Port(port)));
  endpoint.init(faultline::http::endpoint_options(threads, 26 * 1024 * 1024 + 64 * 1024));
  endpoint.setHandler(Pistache::Http::make_handler<Ceiling>());
  endpoint.serveThreaded();
  faultline::http::wait_for_termination();
  endpoint.shutdown();
  return 0;
}
