#include "ingest/ingest_server.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "common/http.hpp"
#include "common/json.hpp"
#include "common/kafka.hpp"
#include "common/log.hpp"
#include "common/status.hpp"
#include "common/stop_signal.hpp"
#include "common/time.hpp"
#include "common/topic_watch.hpp"
#include "common/topics.hpp"
#include "common/trace_context.hpp"
#include "ingest/gitlab_webhook.hpp"
#include "ingest/webhook.hpp"

namespace faultline::ingest {

namespace Http = Pistache::Http;
using Clock = std::chrono::steady_clock;

// Runs each callback once at its time, on one thread of its own; callbacks
// still waiting when it is destroyed are dropped.
class Deadlines {
 public:
  Deadlines() : thread_([this] { run(); }) {}
  ~Deadlines() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  Deadlines(const Deadlines&) = delete;
  Deadlines& operator=(const Deadlines&) = delete;

  void at(Clock::time_point when, std::function<void()> callback) {
    {
      std::lock_guard lock(mutex_);
      pending_.emplace(when, std::move(callback));
    }
    wake_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (pending_.empty()) {
        wake_.wait(lock);
        continue;
      }
      if (const auto next = pending_.begin()->first; Clock::now() < next) {
        wake_.wait_until(lock, next);
        continue;
      }
      auto callback = std::move(pending_.begin()->second);
      pending_.erase(pending_.begin());
      lock.unlock();
      try {
        callback();
      } catch (const std::exception& e) {
        log::error("deadline callback failed", {{"error", e.what()}});
      }
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<Clock::time_point, std::function<void()>> pending_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once the rest exists
};

struct IngestState {
  IngestState(const IngestSettings& settings, metrics::Registry& registry)
      : verifier(settings.webhook_secrets),
        gitlab_tokens(settings.gitlab_webhook_tokens),
        gitlab_signatures(settings.gitlab_signing_keys, settings.gitlab_signature_tolerance),
        producer(settings.kafka, settings.publish_timeout),
        publish_timeout(settings.publish_timeout),
        topic_watch(settings.kafka, {std::begin(topics::kIngested), std::end(topics::kIngested)}),
        max_body_bytes(settings.max_body_bytes),
        retry_after(std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(settings.publish_timeout).count() +
            1)),
        metrics(registry),
        publish_seconds(registry.histogram("faultline_ingest_publish_seconds",
                                           "Time from receiving a webhook to the broker's verdict",
                                           metrics::latency_buckets())),
        in_flight_gauge(registry.gauge("faultline_ingest_in_flight",
                                       "Webhooks waiting for the broker's acknowledgement")) {}

  void count(int status) {
    metrics
        .counter("faultline_ingest_requests_total", "HTTP requests answered, by status",
                 {{"status", std::to_string(status)}})
        .increment();
  }

  void count_broker_error(const char* error) {
    metrics
        .counter("faultline_ingest_broker_errors_total",
                 "Webhooks the broker did not acknowledge, by error", {{"error", error}})
        .increment();
  }

  // A webhook taken in by publish() has been answered.
  void settled() {
    in_flight_gauge.add(-1);
    if (--in_flight == 0 && draining)
      drained.request_stop();
  }

  SignatureVerifier verifier;
  GitLabTokenVerifier gitlab_tokens;
  StandardWebhookVerifier gitlab_signatures;
  kafka::Producer producer;
  std::chrono::milliseconds publish_timeout;
  // The topics it publishes to; /ready is red while one is missing.
  kafka::TopicWatch topic_watch;
  std::size_t max_body_bytes;
  std::string retry_after;
  metrics::Registry& metrics;
  metrics::Histogram& publish_seconds;
  metrics::Gauge& in_flight_gauge;
  std::atomic<int> in_flight{0};
  std::atomic<bool> draining{false};
  // Requested once draining and every accepted webhook has been answered.
  StopSignal drained;
  // Last, so it stops before what its callbacks use goes.
  Deadlines deadlines;
};

namespace {

http::Reply unavailable(const IngestState& state, const char* detail) {
  auto reply = http::problem_reply(status::unavailable(detail));
  reply.headers.emplace_back("Retry-After", state.retry_after);
  return reply;
}

class IngestHandler : public http::Handler {
 public:
  HTTP_PROTOTYPE(IngestHandler)

  explicit IngestHandler(std::shared_ptr<IngestState> state)
      : http::Handler(state->max_body_bytes), state_(std::move(state)) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
    http::set_connection(request, response);
    try {
      route(request, response);
    } catch (const std::exception& e) {
      log::error("ingest request failed", {{"path", request.resource()}, {"error", e.what()}});
      finish(response, http::problem_reply(internal_error()));
    }
  }

 private:
  void route(const Http::Request& request, Http::ResponseWriter& response) {
    const auto& path = request.resource();
    const bool get = request.method() == Http::Method::Get;
    if (path == kWebhookPath || path == kGitLabWebhookPath) {
      if (request.method() != Http::Method::Post)
        return finish(response, method_not_allowed("POST"));
      return webhook(request, response, path == kGitLabWebhookPath);
    }
    if (status::serves(path)) {
      if (!get)
        return finish(response, method_not_allowed("GET"));
      auto reply = *status::answer(path, readiness_checks(), state_->metrics);
      // A 503 says when to ask again.
      if (reply.status != 200)
        reply.headers.emplace_back("Retry-After", state_->retry_after);
      return finish(response, reply);
    }
    finish(response, http::problem_reply(not_found("No such endpoint.")));
  }

  static std::optional<std::string> header(const Http::Request& request, const char* name) {
    const auto found = request.headers().tryGetRaw(name);
    if (!found)
      return std::nullopt;
    return found->value();
  }

  // What an endpoint made of a request: the outcome, and for the log the
  // delivery and the event the request named.
  struct Handled {
    WebhookOutcome outcome;
    std::string delivery_id;
    std::string event;
  };

  // The handlers only copy headers; every rule is in handle_webhook and
  // handle_gitlab_webhook.
  Handled github(const Http::Request& request) const {
    const auto signature = header(request, "X-Hub-Signature-256");
    const auto event = header(request, "X-GitHub-Event");
    const auto delivery = header(request, "X-GitHub-Delivery");
    const auto hook = header(request, "X-GitHub-Hook-ID");
    const auto target_type = header(request, "X-GitHub-Hook-Installation-Target-Type");
    const auto target_id = header(request, "X-GitHub-Hook-Installation-Target-ID");
    const WebhookRequest webhook_request{request.body(), signature,   event,     delivery,
                                         hook,           target_type, target_id, utc_now_rfc3339()};
    return {handle_webhook(webhook_request, state_->verifier, state_->max_body_bytes),
            delivery.value_or(""), event.value_or("")};
  }

  Handled gitlab(const Http::Request& request) const {
    const auto token = header(request, "X-Gitlab-Token");
    const auto event = header(request, "X-Gitlab-Event");
    const auto idempotency_key = header(request, "Idempotency-Key");
    const auto event_uuid = header(request, "X-Gitlab-Event-UUID");
    const auto instance = header(request, "X-Gitlab-Instance");
    const auto id = header(request, "webhook-id");
    const auto timestamp = header(request, "webhook-timestamp");
    const auto signature = header(request, "webhook-signature");
    const GitLabWebhookRequest webhook_request{request.body(),
                                               token,
                                               event,
                                               idempotency_key,
                                               event_uuid,
                                               instance,
                                               {id, timestamp, signature},
                                               utc_now_rfc3339(),
                                               epoch_seconds()};
    const auto delivery = gitlab_delivery_id(webhook_request);
    return {
        handle_gitlab_webhook(webhook_request, {state_->gitlab_tokens, state_->gitlab_signatures},
                              state_->max_body_bytes),
        std::string(delivery.value_or("")), event.value_or("")};
  }

  void webhook(const Http::Request& request, Http::ResponseWriter& response, bool from_gitlab) {
    if (state_->draining)
      return finish(response, unavailable(*state_, "The service is shutting down."));
    // The delivery's trace starts here, or continues one a proxy in front began.
    const trace::Scope traced(
        trace::continue_from(header(request, "traceparent"), header(request, "tracestate")));

    auto handled = from_gitlab ? gitlab(request) : github(request);
    if (auto* reply = std::get_if<http::Reply>(&handled.outcome)) {
      if (reply->status >= 400)
        log::info("webhook rejected", {{"status", reply->status},
                                       {"delivery_id", handled.delivery_id},
                                       {"event", handled.event}});
      return finish(response, *reply);
    }
    auto& message = std::get<kafka::OutgoingMessage>(handled.outcome);
    trace::add_headers(*trace::current(), message.headers);
    publish(std::move(message), handled.delivery_id, response);
  }

  void publish(kafka::OutgoingMessage message, const std::string& delivery_id,
               Http::ResponseWriter& response) {
    auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
    auto state = state_;
    const auto started = Clock::now();
    // The verdict comes on the producer's thread and the deadline on another:
    // each takes the delivery's trace with it.
    const trace::Context trace = *trace::current();
    ++state->in_flight;
    state->in_flight_gauge.add(1);
    // Answered once: by the broker's verdict, or with 503 at the deadline if
    // that comes first. librdkafka's message.timeout.ms alone does not keep the
    // deadline: with two of three nodes of a real cluster killed, verdicts came
    // up to 3 s late, or only once a node was back, after Pistache had already
    // answered 408 at its 10 s header timeout.
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto settle = [state, writer, started, delivery_id, answered, trace](rd_kafka_resp_err_t err) {
      if (answered->exchange(true))
        return;  // already answered 503 at the deadline
      const trace::Scope traced(trace);
      const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
      state->publish_seconds.observe(seconds);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::info("webhook published", {{"delivery_id", delivery_id}, {"seconds", seconds}});
        finish(*state, *writer, http::json_reply(202, json::object([&](json::Writer& out) {
                                                   out.Key("accepted");
                                                   out.Bool(true);
                                                   out.Key("delivery_id");
                                                   json::write(out, delivery_id);
                                                 })));
      } else {
        state->count_broker_error(rd_kafka_err2name(err));
        log::warn("broker did not acknowledge a webhook",
                  {{"delivery_id", delivery_id}, {"error", rd_kafka_err2str(err)}});
        finish(*state, *writer,
               unavailable(*state, "The event broker did not acknowledge the delivery in time."));
      }
      state->settled();
    };
    try {
      state->producer.produce(std::move(message), std::move(settle));
      // The state owns the deadlines and outlives them: a plain pointer.
      state->deadlines.at(started + state->publish_timeout, [state = state.get(), writer,
                                                             delivery_id, answered, trace] {
        if (answered->exchange(true))
          return;
        const trace::Scope traced(trace);
        state->count_broker_error("deadline");
        log::warn("broker gave no verdict within the deadline", {{"delivery_id", delivery_id}});
        finish(*state, *writer,
               unavailable(*state,
                           "The event broker did not acknowledge the "
                           "delivery in time."));
        state->settled();
      });
    } catch (const kafka::Error& e) {
      // Not queued, so the report will never run: settle here.
      state->count_broker_error(rd_kafka_err2name(e.code()));
      log::warn("cannot queue a webhook", {{"delivery_id", delivery_id}, {"error", e.what()}});
      finish(*state, *writer, unavailable(*state, "The event broker is unavailable."));
      state->settled();
    }
  }

  // Ready while not draining, a broker answers and both topics exist.
  status::Checks readiness_checks() const {
    IngestState* state = state_.get();
    return {
        [state]() -> std::optional<Problem> {
          if (!state->draining && state->producer.reachable(std::chrono::seconds(1)))
            return std::nullopt;
          // Why, when the client knows (a wrong password, an untrusted certificate).
          auto cause = state->producer.connection_problem();
          return status::unavailable(cause.value_or("The event broker is not reachable."));
        },
        [state] { return state->topic_watch.status().problem(); },
    };
  }

  // Refused by http::Handler before it was read to the end (a body over the limit).
  void refused(const Problem& problem) override { state_->count(problem.status); }

  static http::Reply method_not_allowed(const char* allowed) {
    auto reply = http::problem_reply(
        Problem{405, "Method Not Allowed", std::string("Use ") + allowed + ".", "method", {}});
    reply.headers.emplace_back("Allow", allowed);
    return reply;
  }

  void finish(Http::ResponseWriter& response, const http::Reply& reply) {
    finish(*state_, response, reply);
  }

  static void finish(IngestState& state, Http::ResponseWriter& response, const http::Reply& reply) {
    state.count(reply.status);
    if (const auto* trace = trace::current()) {
      auto traced = reply;
      traced.headers.emplace_back("traceparent", trace->traceparent());
      return http::send(response, traced);
    }
    http::send(response, reply);
  }

  std::shared_ptr<IngestState> state_;
};

}  // namespace

IngestServer::IngestServer(const IngestSettings& settings, metrics::Registry& registry)
    : state_(std::make_shared<IngestState>(settings, registry)),
      endpoint_(Pistache::Address(settings.address.host, Pistache::Port(settings.address.port))),
      threads_(settings.threads) {}

IngestServer::~IngestServer() = default;

void IngestServer::start() {
  endpoint_.init(http::endpoint_options(threads_, state_->max_body_bytes));
  endpoint_.setHandler(Http::make_handler<IngestHandler>(state_));
  endpoint_.serveThreaded();
}

std::uint16_t IngestServer::port() const {
  return endpoint_.getPort();
}

void IngestServer::drain(std::chrono::milliseconds limit) {
  state_->draining = true;
  const auto deadline = Clock::now() + limit;
  if (state_->in_flight == 0)
    state_->drained.request_stop();
  state_->drained.wait_until(deadline);
  state_->producer.flush(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::max(deadline - Clock::now(), Clock::duration::zero())));
}

void IngestServer::stop() {
  endpoint_.shutdown();
}

}  // namespace faultline::ingest
