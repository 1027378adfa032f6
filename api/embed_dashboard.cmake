# Writes OUT: a C++ file defining faultline::api::dashboard_files(), every file
# under DIR (the dashboard's build output) with its path from DIR, as byte arrays
# (as schemas/embed_openapi.cmake does, for the same reason).
file(GLOB_RECURSE files RELATIVE ${DIR} ${DIR}/*)
list(SORT files)
list(FIND files index.html index_at)
if(index_at EQUAL -1)
  message(FATAL_ERROR "${DIR} holds no index.html: the dashboard's build did not finish")
endif()
set(arrays "")
set(entries "")
set(n 0)
foreach(file IN LISTS files)
  file(READ ${DIR}/${file} hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(REPLACE "'\\x0a'," "'\\x0a',\n" bytes "${bytes}")
  string(APPEND arrays "constexpr char file${n}[${size} + 1] = {\n${bytes}'\\0'};\n")
  string(APPEND entries "      {\"${file}\", std::string_view(file${n}, ${size})},\n")
  math(EXPR n "${n} + 1")
endforeach()
file(WRITE ${OUT} "#include \"api/dashboard_files.hpp\"

namespace faultline::api {

namespace {

${arrays}
}  // namespace

const std::vector<schemas::EmbeddedFile>& dashboard_files() {
  static const std::vector<schemas::EmbeddedFile> files{
${entries}  };
  return files;
}

}  // namespace faultline::api
")
