// Proves the one strict number parser (common/parse.h): whole strings only, finite values,
// integers without sign, fraction or exponent, and the upper bound.
#include "lowvolt/common/parse.h"

#include <gtest/gtest.h>

#include <string>

TEST(Parse, RealAcceptsWholeFiniteNumbers) {
  EXPECT_EQ(lowvolt::parse_real("0.05"), 0.05);
  EXPECT_EQ(lowvolt::parse_real("-1.5e-3"), -1.5e-3);
  EXPECT_EQ(lowvolt::parse_real("7"), 7.0);
}

TEST(ParseErrors, RealRefusesGarbageAndNonFinite) {
  for (const std::string bad : {"", " 1", "1 ", "1.5x", "x", "nan", "inf", "-inf", "1e400", "0x"}) {
    EXPECT_FALSE(lowvolt::parse_real(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(Parse, UnsignedAcceptsDigitsUpToTheBound) {
  EXPECT_EQ(lowvolt::parse_unsigned("0"), 0u);
  EXPECT_EQ(lowvolt::parse_unsigned("18446744073709551615"), 18446744073709551615ull);
  EXPECT_EQ(lowvolt::parse_unsigned("4294967295", 4294967295ull), 4294967295ull);
}

TEST(ParseErrors, UnsignedRefusesSignsFractionsAndOverflow) {
  for (const std::string bad : {"", "-1", "+1", "1.0", "1e3", " 1", "18446744073709551616", "99999999999999999999"}) {
    EXPECT_FALSE(lowvolt::parse_unsigned(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_FALSE(lowvolt::parse_unsigned("4294967296", 4294967295ull).has_value());
}
