#include "api/analytics.hpp"

#include "api/workflow_runs.hpp"
#include "common/failure_categories.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

// The window made definite: `until` defaults to now and `since` to 7 days
// before it; both come back as PostgreSQL's own text (microseconds kept), to
// be bound into the statements below, and as the answer shows them. Also the
// whole hours it is read in (every answer is the same for the same hours),
// whether the window is in order,
// not too long, and how many buckets of `unit` ('hour', 'day' or '') it
// spans: from the bucket `since` falls in to the one before `until`.
constexpr const char* kWindow = R"sql(
WITH p AS (
  SELECT NULLIF(:since, '')::timestamptz AS since,
         COALESCE(NULLIF(:until, '')::timestamptz, now()) AS until, :unit::text AS unit,
         make_interval(days => :max_days) AS longest),
w AS (SELECT COALESCE(since, until - interval '7 days') AS since, until, unit, longest FROM p)
SELECT since::text, until::text, )sql" FAULTLINE_SQL_RFC3339("since") ", " FAULTLINE_SQL_RFC3339(
    "until") R"sql(,
       faultline_hour(since)::text || '/' || faultline_hour(until - interval '1 microsecond')::text,
       (since < until)::int, (until - since <= longest)::int,
       CASE WHEN since >= until THEN 0
            WHEN unit = 'hour' THEN floor(extract(epoch FROM until - interval '1 microsecond'
                                                  - date_trunc('hour', since, 'UTC')) / 3600)::bigint + 1
            WHEN unit = 'day' THEN ((until - interval '1 microsecond') AT TIME ZONE 'UTC')::date
                                   - (since AT TIME ZONE 'UTC')::date + 1
            ELSE 0 END
  FROM w
)sql";

// The parameters every statement starts from, each bound once (SOCI binds a
// repeated name only once). Rollups are hourly: the window is read from the
// hour `since` falls in. `repo` is the filtered repository's id, if known.
#define FAULTLINE_ANALYTICS_WINDOW                                                     \
  "w AS (SELECT :since::timestamptz AS since, :until::timestamptz AS until,"           \
  " :repository::text AS repository, :workflow::text AS workflow,"                     \
  " :category::text AS category, :signature::text AS signature, :unit::text AS unit)," \
  " repo AS (SELECT r.id FROM w JOIN repositories r ON lower(r.full_name) = lower(w.repository)),"

// Signatures seen in the window (failure_signature_daily: whole UTC days, the
// day `since` falls in to the day before `until`), filtered by repository,
// category and signature.
constexpr const char* kSignaturesSeen = "WITH " FAULTLINE_ANALYTICS_WINDOW R"sql(
seen AS (
  SELECT d.signature, sum(d.occurrences) AS occurrences,
         count(DISTINCT d.repository_id) AS repositories
    FROM w, failure_signature_daily d
   WHERE d.day >= (w.since AT TIME ZONE 'UTC')::date
     AND d.day <= ((w.until - interval '1 microsecond') AT TIME ZONE 'UTC')::date
     AND (w.repository = '' OR d.repository_id IN (SELECT id FROM repo))
     AND (w.category = '' OR d.category = w.category)
     AND (w.signature = '' OR d.signature = w.signature)
   GROUP BY d.signature)
)sql";

// One signature (s: failure_signatures, n: seen, or NULLs) as the API shows
// it; open incidents of the filtered repository, if one is named.
constexpr const char* kSignatureDocument =
    "json_build_object('signature', s.signature, 'category', s.category,"
    " 'normalized_error', s.normalized_error,"
    " 'example', json_build_object('provider', faultline_provider(s.example_run_id),"
    "   'repository', s.example_repository, 'run_id', abs(s.example_run_id),"
    "   'job', s.example_job, 'line', s.example_line),"
    " 'occurrences', COALESCE(n.occurrences, 0), 'repositories', COALESCE(n.repositories, 0),"
    " 'first_seen', " FAULTLINE_SQL_RFC3339("s.first_seen") ","
    " 'last_seen', " FAULTLINE_SQL_RFC3339("s.last_seen") ","
    " 'open_incidents', (SELECT count(*) FROM incidents i WHERE i.signature = s.signature"
    "   AND i.state <> 'resolved'"
    "   AND (w.repository = '' OR i.repository_id IN (SELECT id FROM repo))))";

// The latest 20 failing jobs of signature s (job_failures_by_signature).
constexpr const char* kRecentFailures =
    "(SELECT COALESCE(json_agg(json_build_object('provider', faultline_provider(f.repository_id),"
    " 'repository', r.full_name, 'run_id', abs(f.run_id), 'job_id', abs(f.job_id), 'job', f.job, 'step', f.step, 'incident_id', f.incident_id,"
    " 'failed_at', " FAULTLINE_SQL_RFC3339("f.failed_at") ", 'first_line', f.first_line)"
    " ORDER BY f.failed_at DESC, f.job_id DESC), '[]')"
    " FROM (SELECT * FROM job_failures x WHERE x.signature = s.signature"
    "   ORDER BY x.failed_at DESC, x.job_id DESC LIMIT 20) f"
    " LEFT JOIN repositories r ON r.id = f.repository_id)";

// Jobs of job_hourly flaky in the window: in how many runs each ran, in how
// many it was flaky, highest rate first.
constexpr const char* kFlaky = "WITH " FAULTLINE_ANALYTICS_WINDOW R"sql(
jobs AS (
  SELECT h.repository_id, h.workflow, h.job, sum(h.runs) AS runs, sum(h.flaky_runs) AS flaky_runs,
         max(h.last_flaky_at) AS last_flaky_at
    FROM w, job_hourly h
   WHERE h.bucket_start >= faultline_hour(w.since) AND h.bucket_start < w.until
     AND (w.repository = '' OR h.repository_id IN (SELECT id FROM repo))
   GROUP BY h.repository_id, h.workflow, h.job
  HAVING sum(h.flaky_runs) > 0),
rated AS (
  SELECT *, round(LEAST(1, flaky_runs::numeric / GREATEST(runs, 1)), 4) AS flaky_rate FROM jobs),
page AS (
  SELECT * FROM rated ORDER BY flaky_rate DESC, flaky_runs DESC, repository_id, workflow, job
   LIMIT :limit OFFSET :offset)
SELECT
  COALESCE((SELECT json_agg(json_build_object(
      'repository', r.full_name, 'workflow', p.workflow, 'job', p.job, 'runs', p.runs,
      'flaky_runs', p.flaky_runs, 'flaky_rate', p.flaky_rate,
      'last_flaky_at', )sql" FAULTLINE_SQL_RFC3339("p.last_flaky_at") R"sql()
      ORDER BY p.flaky_rate DESC, p.flaky_runs DESC, p.repository_id, p.workflow, p.job)
    FROM page p LEFT JOIN repositories r ON r.id = p.repository_id), '[]')::text,
  (SELECT count(*) FROM rated)
  FROM w
)sql";

// One row per bucket of the page, empty ones as zeros. Runs, failures and
// histograms from ci_hourly_all when no filter is given, else from ci_hourly;
// incidents opened by their first failing run's creation, resolved by the
// resolving run's, both by GitHub's times.
constexpr const char* kTrendsHours = "WITH " FAULTLINE_ANALYTICS_WINDOW R"sql(
buckets AS (
  SELECT b AS bucket_start, b + ('1 ' || w.unit)::interval AS bucket_end
    FROM w, generate_series(date_trunc(w.unit, w.since, 'UTC'), w.until - interval '1 microsecond',
                            ('1 ' || w.unit)::interval) b),
page AS (SELECT * FROM buckets ORDER BY bucket_start LIMIT :limit OFFSET :offset),
span AS (SELECT min(bucket_start) AS lo, max(bucket_end) AS hi FROM page),
hours AS (
  SELECT a.bucket_start, a.runs, a.failures, a.durations, a.queue_times
    FROM w, span, ci_hourly_all a
   WHERE w.repository = '' AND w.workflow = '' AND a.bucket_start >= span.lo AND a.bucket_start < span.hi
  UNION ALL
  SELECT c.bucket_start, c.runs, c.failures, c.durations, c.queue_times
    FROM w, span, ci_hourly c
   WHERE (w.repository <> '' OR w.workflow <> '')
     AND c.bucket_start >= span.lo AND c.bucket_start < span.hi
     AND (w.repository = '' OR c.repository_id IN (SELECT id FROM repo))
     AND (w.workflow = '' OR c.workflow = w.workflow)),
per_bucket AS (
  SELECT date_trunc(w.unit, h.bucket_start, 'UTC') AS bucket_start, sum(h.runs) AS runs,
         sum(h.failures) AS failures, )sql";
// Then the histograms' sums (histogram_sums), and:
constexpr const char* kTrendsBuckets = R"sql(
    FROM w, hours h GROUP BY 1),
opened AS (
  SELECT date_trunc(w.unit, i.first_failure_created_at, 'UTC') AS bucket_start, count(*) AS n
    FROM w, span, incidents i
   WHERE i.first_failure_created_at >= span.lo AND i.first_failure_created_at < span.hi
     AND (w.repository = '' OR i.repository_id IN (SELECT id FROM repo))
     AND (w.workflow = '' OR i.workflow_name = w.workflow)
   GROUP BY 1),
resolved AS (
  SELECT date_trunc(w.unit, i.resolved_by_run_created_at, 'UTC') AS bucket_start, count(*) AS n,
         avg(extract(epoch FROM i.resolved_by_run_created_at - i.first_failure_created_at)) AS mttr
    FROM w, span, incidents i
   WHERE i.resolved_by_run_created_at >= span.lo AND i.resolved_by_run_created_at < span.hi
     AND (w.repository = '' OR i.repository_id IN (SELECT id FROM repo))
     AND (w.workflow = '' OR i.workflow_name = w.workflow)
   GROUP BY 1)
SELECT
  COALESCE((SELECT json_agg(json_build_object(
      'bucket_start', )sql" FAULTLINE_SQL_RFC3339("p.bucket_start") R"sql(,
      'runs', COALESCE(b.runs, 0), 'failures', COALESCE(b.failures, 0),
      'failure_rate', COALESCE(round(b.failures::numeric / NULLIF(b.runs, 0), 4), 0),
      'duration_p50_seconds', faultline_histogram_quantile(b.durations, 0.5),
      'duration_p95_seconds', faultline_histogram_quantile(b.durations, 0.95),
      'queue_p95_seconds', faultline_histogram_quantile(b.queue_times, 0.95),
      'incidents_opened', COALESCE(o.n, 0), 'incidents_resolved', COALESCE(r.n, 0),
      'mttr_seconds', round(r.mttr::numeric, 1)) ORDER BY p.bucket_start)
    FROM page p LEFT JOIN per_bucket b USING (bucket_start) LEFT JOIN opened o USING (bucket_start)
    LEFT JOIN resolved r USING (bucket_start)), '[]')::text,
  (SELECT count(*) FROM buckets)
  FROM w
)sql";

// Buckets of a duration histogram (faultline_duration_bucket, 013_failure_intelligence.sql).
constexpr int kHistogramBuckets = 48;

// The sum of a histogram column over a group, bucket by bucket: 48 plain
// sums of one element each. Unnesting every histogram and grouping by bucket
// did the same three times slower (a row per bucket per hour).
std::string histogram_sums(const std::string& column, const std::string& as) {
  std::string sums = "ARRAY[";
  for (int bucket = 1; bucket <= kHistogramBuckets; ++bucket)
    sums += (bucket > 1 ? ", sum(" : "sum(") + column + "[" + std::to_string(bucket) + "])::int";
  return sums + "] AS " + as;
}

// Every repository over the window: completed run attempts, failure and
// flaky rates (ci_hourly), incidents open now, mean time to recovery of the
// incidents resolved in the window, and the health score (README.md,
// Analytics), least healthy first.
constexpr const char* kRepositoryHealth = "WITH " FAULTLINE_ANALYTICS_WINDOW R"sql(
counted AS (
  SELECT c.repository_id, sum(c.runs) AS runs, sum(c.failures) AS failures,
         sum(c.flaky_runs) AS flaky_runs
    FROM w, ci_hourly c
   WHERE c.bucket_start >= faultline_hour(w.since) AND c.bucket_start < w.until
   GROUP BY c.repository_id),
open_incidents AS (
  SELECT repository_id, count(*) AS n FROM incidents WHERE state <> 'resolved' GROUP BY repository_id),
recovered AS (
  SELECT i.repository_id,
         avg(extract(epoch FROM i.resolved_by_run_created_at - i.first_failure_created_at)) AS mttr
    FROM w, incidents i
   WHERE i.resolved_by_run_created_at >= faultline_hour(w.since)
     AND i.resolved_by_run_created_at < faultline_hour(w.until - interval '1 microsecond')
                                        + interval '1 hour'
   GROUP BY i.repository_id),
rated AS (
  SELECT r.id, r.full_name, COALESCE(c.runs, 0) AS runs,
         c.failures::numeric / NULLIF(c.runs, 0) AS failure_rate,
         LEAST(1, c.flaky_runs::numeric / NULLIF(c.runs, 0)) AS flaky_rate,
         COALESCE(o.n, 0) AS open_incidents, x.mttr
    FROM repositories r
    LEFT JOIN counted c ON c.repository_id = r.id
    LEFT JOIN open_incidents o ON o.repository_id = r.id
    LEFT JOIN recovered x ON x.repository_id = r.id),
scored AS (
  SELECT *, CASE WHEN runs > 0 THEN GREATEST(0, LEAST(100, round(100 - 50 * failure_rate
           - 30 * flaky_rate - LEAST(20, 5 * open_incidents))))::int END AS health
    FROM rated),
page AS (
  SELECT * FROM scored ORDER BY health NULLS LAST, full_name, id LIMIT :limit OFFSET :offset)
SELECT
  COALESCE((SELECT json_agg(json_build_object(
      'repository', p.full_name, 'runs', p.runs, 'failure_rate', round(p.failure_rate, 4),
      'flaky_rate', round(p.flaky_rate, 4), 'open_incidents', p.open_incidents,
      'mttr_seconds', round(p.mttr::numeric, 1), 'health', p.health)
      ORDER BY p.health NULLS LAST, p.full_name, p.id)
    FROM page p), '[]')::text,
  (SELECT count(*) FROM repositories)
  FROM w
)sql";

const char* const kBuckets[] = {"hour", "day", nullptr};

void check_length(const std::string& name, const std::string& value) {
  if (value.size() > 255)
    throw ClientError(bad_request(name + " is longer than 255 characters.", "invalid-parameter"));
}

// since, until and repository, as the stats endpoint reads them.
AnalyticsFilter window_filter(const ApiRequest& request) {
  const auto window = parse_stats_window(request);
  AnalyticsFilter filter;
  filter.since = window.since;
  filter.until = window.until;
  filter.repository = window.repository;
  return filter;
}

struct Window {
  std::string since;  // PostgreSQL's text of a timestamptz
  std::string until;
  std::string since_shown;  // RFC 3339, as answers show it
  std::string until_shown;
  std::string hours;  // the first and last hour read
};

// The window made definite, or a ClientError 400 when it is out of order,
// longer than kMaxWindowDays or (trends) of more than kMaxTrendBuckets.
Window resolve(soci::session& sql, const AnalyticsFilter& filter) {
  const int max_days = kMaxWindowDays;
  Window window;
  int ordered = 0, short_enough = 0;
  long long buckets = 0;
  sql << kWindow, soci::use(filter.since, "since"), soci::use(filter.until, "until"),
      soci::use(filter.bucket, "unit"), soci::use(max_days, "max_days"), soci::into(window.since),
      soci::into(window.until), soci::into(window.since_shown), soci::into(window.until_shown),
      soci::into(window.hours), soci::into(ordered), soci::into(short_enough), soci::into(buckets);
  if (!ordered)
    throw ClientError(bad_request("since must be before until.", "invalid-parameter"));
  if (!short_enough)
    throw ClientError(
        bad_request("The window is longer than " + std::to_string(kMaxWindowDays) + " days.",
                    "invalid-parameter"));
  if (buckets > kMaxTrendBuckets)
    throw ClientError(bad_request("The window holds " + std::to_string(buckets) + " " +
                                      filter.bucket + "s; at most " +
                                      std::to_string(kMaxTrendBuckets) + " buckets are served.",
                                  "invalid-parameter"));
  return window;
}

// What an answer depends on besides the data: the question, the whole hours
// of the window and every filter, each length-prefixed so no two differ only
// in where one ends.
std::string cache_key(const char* question, const Window& window, const AnalyticsFilter& filter,
                      const std::string& signature, const Page& page) {
  std::string key = question;
  for (const auto* part : {&window.hours, &filter.repository, &filter.workflow, &filter.category,
                           &filter.bucket, &signature}) {
    key.append("|").append(std::to_string(part->size())).append(":").append(*part);
  }
  key.append("|").append(std::to_string(page.number));
  key.append("|").append(std::to_string(page.size));
  return key;
}

// Runs one of the list statements above (a page of items and their total)
// for the window, as {since, until, items, total, page, page_size, pages}.
std::string window_list(soci::session& sql, AnalyticsCache& cache, const char* question,
                        const char* statement, const AnalyticsFilter& filter, const Page& page) {
  const auto window = resolve(sql, filter);
  // Kept as "<total> <items>": the window shown differs between requests of
  // the same hours.
  const auto kept = cache.get(cache_key(question, window, filter, "", page), [&] {
    const long long limit = page.size, offset = page.offset();
    const std::string signature;
    std::string items;
    long long total = 0;
    sql << statement, soci::use(window.since, "since"), soci::use(window.until, "until"),
        soci::use(filter.repository, "repository"), soci::use(filter.workflow, "workflow"),
        soci::use(filter.category, "category"), soci::use(signature, "signature"),
        soci::use(filter.bucket, "unit"), soci::use(limit, "limit"), soci::use(offset, "offset"),
        soci::into(items), soci::into(total);
    return std::to_string(total) + " " + items;
  });
  const auto space = kept.find(' ');
  return page_document(
      kept.substr(space + 1), std::stoll(kept.substr(0, space)), page,
      "\"since\":\"" + window.since_shown + "\",\"until\":\"" + window.until_shown + "\",");
}

}  // namespace

AnalyticsFilter parse_signature_filter(const ApiRequest& request) {
  auto filter = window_filter(request);
  filter.category = request.query_value("category").value_or("");
  if (filter.category.empty() || filter.category == kUnknownFailureCategory)
    return filter;
  for (const auto known : kFailureCategories)
    if (filter.category == known)
      return filter;
  throw ClientError(bad_request("category is not a known cause category.", "invalid-parameter"));
}

AnalyticsFilter parse_flaky_filter(const ApiRequest& request) {
  return window_filter(request);
}

AnalyticsFilter parse_trend_filter(const ApiRequest& request) {
  auto filter = window_filter(request);
  filter.workflow = request.query_value("workflow").value_or("");
  check_length("workflow", filter.workflow);
  filter.bucket = choice_parameter(request, "bucket", kBuckets);
  if (filter.bucket.empty())
    filter.bucket = "day";
  return filter;
}

AnalyticsFilter parse_health_filter(const ApiRequest& request) {
  auto filter = window_filter(request);
  filter.repository.clear();
  return filter;
}

std::string signature_parameter(const std::string& text) {
  const bool hex =
      text.size() == 16 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex)
    throw ClientError(
        bad_request("signature must be 16 lowercase hexadecimal digits.", "invalid-parameter"));
  return text;
}

std::string list_failure_signatures(soci::session& sql, AnalyticsCache& cache,
                                    const AnalyticsFilter& filter, const Page& page) {
  static const std::string statement =
      std::string(kSignaturesSeen) +
      ", page AS (SELECT * FROM seen ORDER BY occurrences DESC, signature"
      " LIMIT :limit OFFSET :offset) SELECT COALESCE((SELECT json_agg(x.doc ORDER BY x.occurrences "
      "DESC, x.signature)" +
      " FROM (SELECT " + kSignatureDocument +
      " AS doc, n.occurrences, n.signature FROM w CROSS JOIN page n"
      " JOIN failure_signatures s ON s.signature = n.signature) x), '[]')::text, (SELECT count(*) "
      "FROM seen) FROM w";
  return window_list(sql, cache, "signatures", statement.c_str(), filter, page);
}

std::optional<std::string> get_failure_signature(soci::session& sql, AnalyticsCache& cache,
                                                 const AnalyticsFilter& filter,
                                                 const std::string& signature) {
  static const std::string statement =
      std::string(kSignaturesSeen) + "SELECT (" + kSignatureDocument +
      "::jsonb || jsonb_build_object('recent', " + kRecentFailures +
      "))::text FROM w JOIN failure_signatures s"
      " ON s.signature = w.signature"
      " LEFT JOIN seen n ON n.signature = s.signature";
  const auto window = resolve(sql, filter);
  // An unknown signature is kept as the empty answer.
  auto document = cache.get(cache_key("signature", window, filter, signature, Page{}), [&] {
    std::string found;
    soci::indicator ind = soci::i_null;
    sql << statement, soci::use(window.since, "since"), soci::use(window.until, "until"),
        soci::use(filter.repository, "repository"), soci::use(filter.workflow, "workflow"),
        soci::use(filter.category, "category"), soci::use(signature, "signature"),
        soci::use(filter.bucket, "unit"), soci::into(found, ind);
    return sql.got_data() && ind == soci::i_ok ? found : std::string();
  });
  if (document.empty())
    return std::nullopt;
  return document;
}

std::string list_flaky_jobs(soci::session& sql, AnalyticsCache& cache,
                            const AnalyticsFilter& filter, const Page& page) {
  return window_list(sql, cache, "flaky", kFlaky, filter, page);
}

std::string list_trends(soci::session& sql, AnalyticsCache& cache, const AnalyticsFilter& filter,
                        const Page& page) {
  static const std::string statement =
      std::string(kTrendsHours) + histogram_sums("h.durations", "durations") + ", " +
      histogram_sums("h.queue_times", "queue_times") + kTrendsBuckets;
  return window_list(sql, cache, "trends", statement.c_str(), filter, page);
}

std::string list_repository_health(soci::session& sql, AnalyticsCache& cache,
                                   const AnalyticsFilter& filter, const Page& page) {
  return window_list(sql, cache, "health", kRepositoryHealth, filter, page);
}

}  // namespace faultline::api
