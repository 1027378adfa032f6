# Writes OUT: a C++ file defining faultline::schemas::failure_rules_json(), the text of IN.
file(READ ${IN} text)
file(WRITE ${OUT} "#include \"schemas/embedded.hpp\"

namespace faultline::schemas {

std::string_view failure_rules_json() {
  static constexpr std::string_view text = R\"failure_rules(${text})failure_rules\";
  return text;
}

}  // namespace faultline::schemas
")
