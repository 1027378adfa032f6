# Writes OUT: a C++ file defining faultline::schemas::migrations(), one entry per
# DIR/*.sql file, and faultline::schemas::functions(), one entry per
# DIR/functions/*.sql file (each sorted by name), holding the file's text verbatim.
function(embedded_list result pattern)
  file(GLOB files ${pattern})
  list(SORT files)
  set(body "")
  foreach(file IN LISTS files)
    get_filename_component(name ${file} NAME_WE)
    file(READ ${file} text)
    string(APPEND body "    {\"${name}\", R\"faultline_sql(${text})faultline_sql\"},\n")
  endforeach()
  set(${result} "${body}" PARENT_SCOPE)
endfunction()

embedded_list(migrations ${DIR}/*.sql)
embedded_list(functions ${DIR}/functions/*.sql)
file(WRITE ${OUT} "#include \"schemas/embedded.hpp\"

namespace faultline::schemas {

const std::vector<EmbeddedFile>& migrations() {
  static const std::vector<EmbeddedFile> files = {
${migrations}  };
  return files;
}

const std::vector<EmbeddedFile>& functions() {
  static const std::vector<EmbeddedFile> files = {
${functions}  };
  return files;
}

}  // namespace faultline::schemas
")
