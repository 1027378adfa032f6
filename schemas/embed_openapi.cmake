# Writes OUT: a C++ file defining faultline::schemas::openapi_json(), the text of IN.
file(READ ${IN} text)
file(WRITE ${OUT} "#include \"schemas/embedded.hpp\"

namespace faultline::schemas {

std::string_view openapi_json() {
  static constexpr std::string_view text = R\"openapi_doc(${text})openapi_doc\";
  return text;
}

}  // namespace faultline::schemas
")
