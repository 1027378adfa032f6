# Writes OUT: a C++ file defining faultline::schemas::migrations(), one entry per
# DIR/*.sql file (sorted by name), holding the file's text verbatim.
file(GLOB FILES ${DIR}/*.sql)
list(SORT FILES)
set(body "")
foreach(file IN LISTS FILES)
  get_filename_component(name ${file} NAME_WE)
  file(READ ${file} text)
  string(APPEND body "    {\"${name}\", R\"faultline_sql(${text})faultline_sql\"},\n")
endforeach()
file(WRITE ${OUT} "#include \"schemas/embedded.hpp\"

namespace faultline::schemas {

const std::vector<EmbeddedFile>& migrations() {
  static const std::vector<EmbeddedFile> files = {
${body}  };
  return files;
}

}  // namespace faultline::schemas
")
