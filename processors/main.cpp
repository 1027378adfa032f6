// faultline-processors: the stateless consumers that turn topics into state.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/database.hpp"
#include "common/http.hpp"
#include "common/kafka.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/migrations.hpp"
#include "common/secret_box.hpp"
#include "common/status.hpp"
#include "common/stop_signal.hpp"
#include "common/time.hpp"
#include "common/topic_watch.hpp"
#include "common/topics.hpp"
#include "processors/failure_rules.hpp"
#include "processors/fix/fix_worker.hpp"
#include "processors/fix/fixer_handler.hpp"
#include "processors/incidents_handler.hpp"
#include "processors/issues_handler.hpp"
#include "processors/notify/notification_sender.hpp"
#include "processors/notify/notifier_handler.hpp"
#include "processors/outbox_relay.hpp"
#include "processors/reconciler.hpp"
#include "processors/replay.hpp"
#include "processors/retention.hpp"
#include "processors/runs_handler.hpp"
#include "processors/topics.hpp"
#include "processors/transactional_consumer.hpp"

namespace {

constexpr const char* kUsage =
    R"(usage: faultline-processors [--roles runs,incidents,issues,reconciler,notifier,fixer]
       faultline-processors reconcile [--since 24h] [--repository owner/name]
       faultline-processors replay --group G (--to-beginning | --to-timestamp ISO8601)
       faultline-processors topics [--partitions 6] [--replication-factor 3]

Consumes Faultline's topics and keeps PostgreSQL up to date. Roles (default: all):
  runs       ci.workflow_run.v1, ci.workflow_job.v1, ci.gitlab_pipeline.v1 and
             ci.gitlab_job.v1 -> workflow_runs, workflow_jobs
  incidents  ci.workflow_run.v1 and ci.gitlab_pipeline.v1 -> incidents; publishes
             ci.incident.v1 through the outbox
  issues     ci.incident.v1 -> one GitHub issue per GitHub incident (opened, commented, closed)
  reconciler every FAULTLINE_RECONCILE_INTERVAL (10m): runs GitHub has and the state lacks are
             published to ci.workflow_run.v1; failed deliveries are redelivered once
  notifier   ci.incident.v1 -> notification_deliveries, sent to Slack, signed webhooks and
             PagerDuty as the notification rules say (at least once, retried)
  fixer      ci.incident.v1 and ci.pull_request.v1 -> fix_proposals: a draft pull request
             from a language model's diff for incidents of repositories that ask for one
             (on only with FAULTLINE_FIX_MODEL_URL; the role is skipped without it)

reconcile runs one reconciliation pass and exits (exit 1 if it recorded errors).

Offsets live in PostgreSQL with the state (table consumer_offsets), so a
crash at any point loses nothing and applies nothing twice. Stops cleanly on
SIGTERM or SIGINT.

replay rewinds a consumer group's stored offsets (groups: faultline-runs,
faultline-incidents) so its consumers apply the topics again from there; the
state they write is idempotent. Stop the group's consumers first.

topics creates Faultline's topics that are missing through the Admin API
(min.insync.replicas=2 where the factor is 3 or more) and checks those that
exist, leaving them as they are: exit 0 when all are as asked, otherwise one
line per difference and exit 1. Partitions and factor also come from
FAULTLINE_TOPIC_PARTITIONS and FAULTLINE_TOPIC_REPLICATION_FACTOR.

Environment:
  FAULTLINE_DATABASE_URL        postgresql://user:pass@host:port/db
  FAULTLINE_KAFKA_BROKERS       bootstrap servers
  FAULTLINE_KAFKA_<PROP>        any librdkafka property
  FAULTLINE_PROCESSORS_ADDR     /health, /ready and /metrics (default 127.0.0.1:8082)
  FAULTLINE_PROCESSORS_BATCH    largest batch per transaction (default 2000)
  FAULTLINE_PROCESSORS_CONSUMERS  consumers per role for runs and incidents (default 2)
  FAULTLINE_GITHUB_API_URL      default https://api.github.com
  FAULTLINE_GITHUB_TOKEN        used for repositories without a token of their own
  FAULTLINE_ENCRYPTION_KEY      decrypts repositories' stored tokens (32 bytes, hex or base64)
  FAULTLINE_NOTIFY_ALLOW_HTTP   1: notifications may go to http:// URLs (tests only)
  FAULTLINE_NOTIFY_ALLOW_PRIVATE  1: and to loopback, link-local and private addresses (tests only)
  FAULTLINE_DASHBOARD_URL       the dashboard's address, for links to incidents in notifications
  FAULTLINE_NOTIFY_CONTEXT_WAIT how long an incident's first message waits for the failing job
                                and error line from the run's log (default 60s; 0: not at all)
  FAULTLINE_FIX_MODEL_URL       an OpenAI-compatible API (https://…/v1) for fix proposals
  FAULTLINE_FIX_MODEL           the model it is asked for; FAULTLINE_FIX_MODEL_API_KEY its key
  FAULTLINE_FIX_MAX_FILES, FAULTLINE_FIX_MAX_PROMPT_BYTES, FAULTLINE_FIX_TIMEOUT,
  FAULTLINE_FIX_PER_DAY         limits (5 files, 64 KiB, 60s, 20 proposals a day per repository)
  FAULTLINE_TOPIC_PARTITIONS    topics: partitions per topic (default 6)
  FAULTLINE_TOPIC_REPLICATION_FACTOR  topics: replicas per partition (default 3)
  FAULTLINE_LOG_LEVEL           debug, info, warn, error
)";

std::set<std::string> parse_roles(const std::string& list) {
  std::set<std::string> roles;
  std::stringstream in(list);
  for (std::string role; std::getline(in, role, ',');) {
    if (role != "runs" && role != "incidents" && role != "issues" && role != "reconciler" &&
        role != "notifier" && role != "fixer")
      throw faultline::ConfigError(
          "--roles: unknown role '" + role +
          "' (known: runs, incidents, issues, reconciler, notifier, fixer)");
    roles.insert(role);
  }
  if (roles.empty())
    throw faultline::ConfigError("--roles: name at least one role");
  return roles;
}

int reconcile(int argc, char** argv) {
  using namespace faultline;
  processors::ReconcileOptions options;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--since" && i + 1 < argc)
      options.since = std::chrono::duration_cast<std::chrono::seconds>(parse_duration(argv[++i]));
    else if (arg == "--repository" && i + 1 < argc)
      options.repository = argv[++i];
    else
      throw ConfigError("reconcile: unknown argument '" + arg + "'");
  }
  if (options.since.count() <= 0)
    throw ConfigError("reconcile: --since must be positive");
  const Environment env;
  log::configure("processors", log::parse_level(env.text("FAULTLINE_LOG_LEVEL", "info")));
  Database database(DatabaseSettings::from(env, 2));
  database.with_session([](soci::session& sql) { migrate(sql, schemas::migrations()); });
  kafka::Producer producer(kafka::Settings::from(env), std::chrono::seconds(30));
  const auto secrets = SecretBox::from(env);
  const RepositoryTokens tokens(secrets, env.text("FAULTLINE_GITHUB_TOKEN", ""));
  github::CallLog calls(database);
  github::Client github(github::ClientSettings::from(env), &calls);
  processors::Reconciler reconciler(database, github, calls, producer, tokens);
  const auto report = reconciler.pass(options);
  std::cout << "reconciliation " << report.id << ": " << report.repositories_inspected
            << " repositories, " << report.runs_inspected << " runs inspected, "
            << report.runs_missing << " missing (published), " << report.redeliveries_requested
            << " redeliveries requested\n";
  for (const auto& error : report.errors)
    std::cout << "error: " << error << "\n";
  producer.flush(std::chrono::seconds(10));
  return report.errors.empty() ? 0 : 1;
}

int topics_command(int argc, char** argv) {
  using namespace faultline;
  const Environment env;
  const auto options =
      processors::parse_topics_options(std::vector<std::string>(argv + 2, argv + argc), env);
  log::configure("processors", log::parse_level(env.text("FAULTLINE_LOG_LEVEL", "info")));
  const auto differences =
      processors::provision_topics(kafka::Settings::from(env), options, std::cout);
  return differences.empty() ? 0 : 1;
}

int replay(int argc, char** argv) {
  using namespace faultline;
  std::string group, timestamp;
  bool beginning = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--group" && i + 1 < argc)
      group = argv[++i];
    else if (arg == "--to-beginning")
      beginning = true;
    else if (arg == "--to-timestamp" && i + 1 < argc)
      timestamp = argv[++i];
    else
      throw ConfigError("replay: unknown argument '" + arg + "'");
  }
  if (group.empty())
    throw ConfigError("replay: --group is required");
  if (beginning == !timestamp.empty())
    throw ConfigError("replay: give exactly one of --to-beginning and --to-timestamp");
  if (!timestamp.empty() && !is_rfc3339(timestamp))
    throw ConfigError("replay: --to-timestamp expects RFC 3339, such as 2026-11-23T10:00:00Z");

  const Environment env;
  log::configure("processors", log::parse_level(env.text("FAULTLINE_LOG_LEVEL", "info")));
  auto database_settings = DatabaseSettings::from(env, 1);
  database_settings.pool_size = 1;
  Database database(database_settings);
  const auto kafka_settings = kafka::Settings::from(env);
  const auto rewinds = database.with_session([&](soci::session& sql) {
    migrate(sql, schemas::migrations());
    if (beginning)
      return processors::rewind_to_beginning(sql, group);
    return processors::rewind_to_timestamp(
        sql, group, timestamp, [&](const auto& partitions, std::int64_t millis) {
          return kafka::offsets_for_time(kafka_settings, partitions, millis,
                                         std::chrono::seconds(10));
        });
  });
  for (const auto& r : rewinds) {
    const std::string to = r.to ? std::to_string(*r.to) : std::string("beginning");
    std::cout << r.partition.topic << "[" << r.partition.partition << "] " << r.from << " -> " << to
              << (r.source.empty() ? "" : " (" + r.source + ")") << "\n";
    log::info("rewound partition", {{"topic", r.partition.topic},
                                    {"partition", r.partition.partition},
                                    {"from", r.from},
                                    {"to", to},
                                    {"source", r.source}});
  }
  log::info("rewound", {{"group", group}, {"partitions", rewinds.size()}});
  if (rewinds.empty())
    std::cout << "group " << group << " has no stored offsets\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace faultline;
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "replay" || command == "reconcile" || command == "topics") {
    try {
      if (command == "topics")
        return topics_command(argc, argv);
      return command == "replay" ? replay(argc, argv) : reconcile(argc, argv);
    } catch (const ConfigError& e) {
      std::cerr << "faultline-processors: " << e.what() << "\n" << kUsage;
      return 2;
    } catch (const std::exception& e) {
      log::error("command failed", {{"command", argv[1]}, {"error", e.what()}});
      return 1;
    }
  }
  std::string roles_arg = "runs,incidents,issues,reconciler,notifier,fixer";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--roles" && i + 1 < argc) {
      roles_arg = argv[++i];
    } else {
      std::cerr << "faultline-processors: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  try {
    const Environment env;
    log::configure("processors", log::parse_level(env.text("FAULTLINE_LOG_LEVEL", "info")));
    auto roles = parse_roles(roles_arg);
    const auto fix_model = processors::fix::ModelSettings::from(env);
    if (roles.count("fixer") && !fix_model) {
      roles.erase("fixer");
      log::info("the fixer role is off: FAULTLINE_FIX_MODEL_URL is not set");
    }
    const auto kafka_settings = kafka::Settings::from(env);
    const auto consumers = static_cast<int>(env.integer("FAULTLINE_PROCESSORS_CONSUMERS", 2, 1, 6));
    const auto database_settings =
        DatabaseSettings::from(env, 2 * static_cast<std::size_t>(consumers) + 7);
    const auto status_address = env.address("FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:8082");
    const auto max_batch =
        static_cast<std::size_t>(env.integer("FAULTLINE_PROCESSORS_BATCH", 2000, 1, 10000));

    http::block_termination_signals();
    Database database(database_settings);
    database.with_session([](soci::session& sql) { migrate(sql, schemas::migrations()); });
    if (roles.count("runs")) {
      const auto counted = database.with_session(processors::count_stored_history);
      if (counted)
        log::info("counted stored runs and jobs into the analytics",
                  {{"rows", static_cast<std::int64_t>(counted)}});
    }
    // A malformed rule table (FAULTLINE_FAILURE_RULES) stops the start, not a batch.
    if (roles.count("issues"))
      log::info(
          "failure rules loaded",
          {{"rules", static_cast<std::int64_t>(processors::FailureRules::standard().size())}});

    metrics::Registry registry;
    // Checked from now on: a missing topic is logged and keeps /ready red.
    kafka::TopicWatch topic_watch(kafka_settings, processors::role_topics(roles));
    status::StatusServer status_server(status_address, registry);

    kafka::Producer producer(kafka_settings, std::chrono::seconds(30));
    const auto secrets = SecretBox::from(env);
    const RepositoryTokens tokens(secrets, env.text("FAULTLINE_GITHUB_TOKEN", ""));
    github::CallLog github_calls(database, &registry);
    github::Client github(github::ClientSettings::from(env), &github_calls);

    // The roles that consume, each a consumer group. The runs and incidents
    // roles run `consumers` consumers side by side in their group: the
    // partitions are shared out, and each has its own database connection, so
    // batches of different partitions are applied in parallel. GitHub
    // mutations are paced a second apart, so the issues role takes small
    // batches (its transaction stays short and a burst waits in Kafka).
    struct ConsumingRole {
      const char* name;
      const char* group;
      std::vector<std::string> topics;
      std::size_t max_batch;
      std::function<std::unique_ptr<processors::BatchHandler>()> handler;
      int consumers;
    };
    // 0 turns the wait off; anything else is a duration.
    const auto notify_context_wait =
        env.text("FAULTLINE_NOTIFY_CONTEXT_WAIT", "") == "0"
            ? std::chrono::milliseconds(0)
            : env.duration("FAULTLINE_NOTIFY_CONTEXT_WAIT", std::chrono::seconds(60));
    const std::vector<ConsumingRole> consuming_roles{
        {"runs",
         "faultline-runs",
         {topics::kWorkflowRun, topics::kWorkflowJob, topics::kGitLabPipeline, topics::kGitLabJob},
         max_batch,
         [] { return std::make_unique<processors::RunsHandler>("faultline-runs"); },
         consumers},
        {"incidents",
         "faultline-incidents",
         {topics::kWorkflowRun, topics::kGitLabPipeline},
         max_batch,
         [] { return std::make_unique<processors::IncidentsHandler>(); },
         consumers},
        {"issues",
         "faultline-issues",
         {topics::kIncident},
         10,
         [&] { return std::make_unique<processors::IssuesHandler>(github, github_calls, tokens); },
         1},
        {"fixer",
         "faultline-fixer",
         {topics::kIncident, topics::kPullRequest},
         max_batch,
         [] { return std::make_unique<processors::fix::FixerHandler>(); },
         1},
        {"notifier",
         "faultline-notifier",
         {topics::kIncident},
         max_batch,
         [&] {
           return std::make_unique<processors::NotifierHandler>(notify_context_wait,
                                                                tokens.has_fallback());
         },
         1},
    };

    // Each consumer on its own thread, with its own handler.
    struct Running {
      std::unique_ptr<processors::BatchHandler> handler;
      std::unique_ptr<processors::TransactionalConsumer> consumer;
    };
    std::vector<Running> running;
    for (const auto& role : consuming_roles) {
      if (!roles.count(role.name))
        continue;
      for (int i = 0; i < role.consumers; ++i) {
        auto handler = role.handler();
        auto consumer = std::make_unique<processors::TransactionalConsumer>(
            processors::ConsumerSettings{.group_id = role.group,
                                         .topics = role.topics,
                                         .max_batch = role.max_batch,
                                         .linger = std::chrono::milliseconds(50),
                                         .attempts = 3},
            kafka_settings, database, producer, *handler, registry);
        running.push_back({std::move(handler), std::move(consumer)});
      }
    }

    processors::OutboxRelay relay(database, producer, registry);
    std::optional<processors::NotificationSender> sender;
    if (roles.count("notifier"))
      sender.emplace(database, secrets, processors::SenderSettings::from(env), registry);
    std::optional<processors::fix::FixWorker> fixer;
    if (roles.count("fixer"))
      fixer.emplace(database, github, tokens, processors::fix::ModelClient(*fix_model),
                    processors::fix::FixSettings::from(env), registry);
    processors::Reconciler reconciler(database, github, github_calls, producer, tokens);
    const auto reconcile_every =
        env.duration("FAULTLINE_RECONCILE_INTERVAL", std::chrono::minutes(10));
    const auto keep_applied_events = std::chrono::duration_cast<std::chrono::seconds>(
        env.duration("FAULTLINE_APPLIED_EVENTS_RETENTION", std::chrono::hours(24 * 7)));
    const auto prune_every = env.duration("FAULTLINE_RETENTION_INTERVAL", std::chrono::minutes(10));
    processors::Retention retention(database, keep_applied_events, registry);

    // Served once the clients exist, so /ready can say why none reaches a
    // broker: ready when a broker answers and every topic the roles need exists.
    status_server.serve({
        [&]() -> std::optional<Problem> {
          auto problem = producer.connection_problem();
          for (auto role = running.begin(); !problem && role != running.end(); ++role)
            problem = role->consumer->connection_problem();
          if (problem)
            return status::unavailable(*problem, "kafka-unreachable");
          return std::nullopt;
        },
        [&] { return topic_watch.status().problem(); },
    });

    StopSignal stop;
    std::vector<std::thread> threads;
    std::atomic<bool> failed{false};
    auto guarded = [&](auto work) {
      return [&, work] {
        try {
          work();
        } catch (const std::exception& e) {
          log::error("role failed", {{"error", e.what()}});
          failed = true;
          ::kill(::getpid(), SIGTERM);  // stop the others; a supervisor restarts us
        }
      };
    };
    for (auto& role : running)
      threads.emplace_back(
          guarded([&stop, consumer = role.consumer.get()] { consumer->run(stop); }));
    if (roles.count("incidents"))
      threads.emplace_back(
          guarded([&stop, &relay] { relay.run(stop, std::chrono::milliseconds(200)); }));
    if (sender)
      threads.emplace_back(
          guarded([&stop, &sender] { sender->run(stop, std::chrono::milliseconds(200)); }));
    if (fixer)
      threads.emplace_back(
          guarded([&stop, &fixer] { fixer->run(stop, std::chrono::milliseconds(500)); }));
    if (roles.count("reconciler"))
      threads.emplace_back(guarded(
          [&stop, &reconciler, reconcile_every] { reconciler.run(stop, reconcile_every); }));
    // The runs role writes applied_events, so it keeps them in bounds; 0 keeps them all.
    if (roles.count("runs") && keep_applied_events.count() > 0)
      threads.emplace_back(
          guarded([&stop, &retention, prune_every] { retention.run(stop, prune_every); }));
    log::info("started",
              {{"roles", roles_arg}, {"status_port", static_cast<int>(status_server.port())}});

    const int signal = http::wait_for_termination();
    log::info("stopping", {{"signal", signal}});
    stop.request_stop();
    for (auto& t : threads)
      t.join();
    status_server.shutdown();
    log::info("stopped");
    return failed ? 1 : 0;
  } catch (const ConfigError& e) {
    std::cerr << "faultline-processors: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    log::error("processors failed", {{"error", e.what()}});
    return 1;
  }
}
