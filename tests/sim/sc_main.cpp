// The sim suites' entry point. libsystemc's main() calls sc_main(), and it comes first on the link
// line (lowvolt::sim links SystemC before GoogleTest's main); either way the tests run the same.
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char* argv[]) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
