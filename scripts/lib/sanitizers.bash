# The sanitizer build (clang, AddressSanitizer, UndefinedBehaviorSanitizer and
# the libFuzzer targets, in build-sanitize/) and the options its programs run
# with, shared by scripts/test and scripts/fuzz. Source it from the repository root.

# sanitizer_configure: configures build-sanitize/ (arguments go to cmake).
sanitizer_configure() {
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  CXX=clang++ cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
    -DFAULTLINE_SANITIZE=ON -DFAULTLINE_FUZZ=ON -DFAULTLINE_WERROR=ON "$@"
}

# sanitizer_options: exports what the sanitized programs read. Undefined
# behaviour and memory errors stop the process; leaks are reported at exit by
# processes that exit cleanly. Suppressions only for code we do not own.
sanitizer_options() {
  export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:suppressions=$PWD/tests/sanitizers/asan.supp"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tests/sanitizers/ubsan.supp"
}
