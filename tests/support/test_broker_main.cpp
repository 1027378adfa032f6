// faultline-test-broker: readies the real cluster for a suite that is not C++
// (the end-to-end suite in Node) the way TestBroker does for the others, and
// prints its bootstrap list. Only for FAULTLINE_TEST_KAFKA=cluster: the
// embedded broker is a child process of the suite itself.

#include <exception>
#include <iostream>

#include "tests/support/environment.hpp"

int main() {
  try {
    if (!faultline::testing::TestBroker::real_cluster()) {
      std::cerr << "faultline-test-broker: FAULTLINE_TEST_KAFKA is not cluster\n";
      return 2;
    }
    faultline::testing::TestBroker broker;
    std::cout << broker.bootstrap() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "faultline-test-broker: " << e.what() << "\n";
    return 1;
  }
}
