# Writes OUT: a C++ file defining faultline::schemas::FUNCTION() (openapi_json()
# unless FUNCTION is given), the text of IN.
if(NOT DEFINED FUNCTION)
  set(FUNCTION openapi_json)
endif()
file(READ ${IN} text)
file(WRITE ${OUT} "#include \"schemas/embedded.hpp\"

namespace faultline::schemas {

std::string_view ${FUNCTION}() {
  static constexpr std::string_view text = R\"embedded_text(${text})embedded_text\";
  return text;
}

}  // namespace faultline::schemas
")
