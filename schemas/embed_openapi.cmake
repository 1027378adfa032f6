# Writes OUT: a C++ file defining faultline::schemas::FUNCTION() (openapi_json()
# unless FUNCTION is given), the text of IN. The bytes go in as an array, not a
# string literal: compilers need not take a literal over 64 KiB (clang's
# -Wpedantic says so), and the OpenAPI document is larger.
if(NOT DEFINED FUNCTION)
  set(FUNCTION openapi_json)
endif()
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
# A line break after each of the text's own keeps the generated lines short.
string(REPLACE "'\\x0a'," "'\\x0a',\n" bytes "${bytes}")
file(WRITE ${OUT} "#include \"schemas/embedded.hpp\"

namespace faultline::schemas {

std::string_view ${FUNCTION}() {
  static constexpr char text[${size} + 1] = {
${bytes}'\\0'};
  return std::string_view(text, ${size});
}

}  // namespace faultline::schemas
")
