#include "api/json_body.hpp"

#include "common/problem.hpp"

namespace faultline::api {
namespace {

// Counts UTF-8 code points (the parser already refused invalid sequences) and
// spots control characters a person did not type.
bool printable_text(std::string_view text, std::size_t& chars) {
  chars = 0;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) != 0x80)
      ++chars;
    if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7F)
      return false;
  }
  return true;
}

}  // namespace

json::Document json_body(const ApiRequest& request) {
  const auto type = request.headers.find("content-type");
  if (type == request.headers.end() || type->second.rfind("application/json", 0) != 0)
    throw ClientError(Problem{415,
                              "Unsupported Media Type",
                              "Send the body as application/json.",
                              "unsupported-media-type",
                              {}});
  try {
    auto document = json::parse(request.body);
    if (!document.IsObject())
      throw ClientError(bad_request("The body must be a JSON object.", "invalid-body"));
    return document;
  } catch (const json::ParseError& e) {
    throw ClientError(
        bad_request(std::string("The body is not valid JSON: ") + e.what(), "invalid-body"));
  }
}

std::optional<std::string> text_member(const json::Value& body, const char* key,
                                       std::size_t min_chars, std::size_t max_chars) {
  const auto* value = json::member(body, key);
  if (!value)
    return std::nullopt;
  const std::string name(key);
  if (!value->IsString())
    throw ClientError(unprocessable(name + " must be a string."));
  const std::string_view text(value->GetString(), value->GetStringLength());
  std::size_t chars = 0;
  if (!printable_text(text, chars))
    throw ClientError(unprocessable(name + " must not hold control characters."));
  const bool blank = text.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (min_chars > 0 && (chars < min_chars || blank))
    throw ClientError(unprocessable(name + " must not be empty."));
  if (chars > max_chars)
    throw ClientError(
        unprocessable(name + " must be at most " + std::to_string(max_chars) + " characters."));
  return std::string(text);
}

std::string required_text(const json::Value& body, const char* key, std::size_t min_chars,
                          std::size_t max_chars) {
  auto text = text_member(body, key, min_chars, max_chars);
  if (!text)
    throw ClientError(unprocessable(std::string(key) + " is required."));
  return std::move(*text);
}

std::optional<std::string> choice_member(const json::Value& body, const char* key,
                                         const char* const* allowed) {
  const auto* value = json::member(body, key);
  if (!value)
    return std::nullopt;
  std::string names;
  for (auto* option = allowed; *option; ++option) {
    if (value->IsString() && value->GetString() == std::string_view(*option))
      return std::string(*option);
    names += (names.empty() ? "" : ", ") + std::string(*option);
  }
  throw ClientError(unprocessable(std::string(key) + " must be one of: " + names + "."));
}

void require_any_member(const json::Value& body, std::initializer_list<const char*> keys) {
  std::string names;
  for (const char* key : keys) {
    if (json::member(body, key))
      return;
    names += (names.empty() ? "" : ", ") + std::string(key);
  }
  throw ClientError(unprocessable("Give at least one of: " + names + ".", "empty-change"));
}

}  // namespace faultline::api
