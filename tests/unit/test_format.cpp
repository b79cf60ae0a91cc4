// SPDX-License-Identifier: Apache-2.0
// The one number formatter (inspector/reader/format.hpp): what shmonctl, the inspector and the
// tray print for every quantity.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "format.hpp"

namespace {

using namespace shmon::inspector;

const std::string kMicro = "\xc2\xb5";

TEST(Format, DurationsFromNanosecondsTakeTheirSiPrefix) {
  EXPECT_EQ(fmt_ns(850), "850 ns");
  EXPECT_EQ(fmt_ns(9853.82e3), "9.85 ms");  // was "9853.82 us"
  EXPECT_EQ(fmt_ns(17.1e6), "17.1 ms");     // was "17.1 M ns"
  EXPECT_EQ(fmt_ns(2e9), "2.00 s");
  EXPECT_EQ(fmt_ns(12'345), "12.3 " + kMicro + "s");
  EXPECT_EQ(fmt_ns(0), "0 ns");
  EXPECT_EQ(fmt_ns(1), "1 ns");
  EXPECT_EQ(fmt_ns(0.5), "0.500 ns");
  EXPECT_EQ(fmt_ns(4321e9), "4320 s");  // no "ks": seconds are the largest unit
}

TEST(Format, ThreeSignificantDigitsRoundBeforeThePrefixIsChosen) {
  EXPECT_EQ(fmt_count(999), "999");
  EXPECT_EQ(fmt_count(999.4), "999");
  EXPECT_EQ(fmt_count(999.5), "1.00 k");
  EXPECT_EQ(fmt_count(1000), "1.00 k");
  EXPECT_EQ(fmt_count(9.996), "10.0");
  EXPECT_EQ(fmt_count(99.96), "100");
  EXPECT_EQ(fmt_count(9995), "10.0 k");
  EXPECT_EQ(fmt_count(999'500), "1.00 M");
  EXPECT_EQ(fmt_ns(999.5), "1.00 " + kMicro + "s");
  EXPECT_EQ(fmt_ns(999'999'999), "1.00 s");
  EXPECT_EQ(fmt_bytes(1023.7 * 1024), "1.00 MiB");
}

TEST(Format, CountsAndRates) {
  EXPECT_EQ(fmt_count(0), "0");
  EXPECT_EQ(fmt_count(42), "42");
  EXPECT_EQ(fmt_count(4.33), "4.33");
  EXPECT_EQ(fmt_count(0.5), "0.500");
  EXPECT_EQ(fmt_count(11'500), "11.5 k");
  EXPECT_EQ(fmt_count(4666.37), "4.67 k");  // was "4666.37"
  EXPECT_EQ(fmt_count(200e6), "200 M");
  EXPECT_EQ(fmt_rate(0), "0 /s");  // was "0/s" and "0 1/s"
  EXPECT_EQ(fmt_rate(3), "3 /s");
  EXPECT_EQ(fmt_rate(2.857), "2.86 /s");
  EXPECT_EQ(fmt_rate(1200), "1.20 k/s");
  EXPECT_EQ(fmt_rate(1107.4), "1.11 k/s");
  EXPECT_EQ(fmt_bytes(512), "512 B");
  EXPECT_EQ(fmt_bytes(53248), "52.0 KiB");
}

TEST(Format, NegativeGaugesKeepTheirSign) {
  EXPECT_EQ(fmt_count(-7), "-7");
  EXPECT_EQ(fmt_count(-9853.8), "-9.85 k");
  EXPECT_EQ(fmt_count(-999.5), "-1.00 k");
  EXPECT_EQ(fmt_value(-2.5, "ms"), "-2.50 ms");
  EXPECT_EQ(fmt_rate(-0.25), "-0.250 /s");
}

TEST(Format, HugeTinyAndNonFiniteValues) {
  EXPECT_EQ(fmt_count(18446744073709551615.0), "18.4 E");
  EXPECT_EQ(fmt_count(1e21), "1000 E");
  EXPECT_EQ(fmt_count(1.234e25), "1.23e+25");
  EXPECT_EQ(fmt_count(-1.234e25), "-1.23e+25");
  EXPECT_EQ(fmt_ns(1e300), "1.00e+300 ns");
  EXPECT_EQ(fmt_count(1e-30), "1.00e-30");
  EXPECT_EQ(fmt_count(std::nan("")), "NaN");
  EXPECT_EQ(fmt_ns(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(fmt_rate(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(fmt_duration_s(std::nan("")), "NaN");
  EXPECT_EQ(fmt_duration_s(1e300), "1.00e+300 s");
}

TEST(Format, MetricValuesInTheirDeclaredUnit) {
  EXPECT_EQ(fmt_value(9853.82, "us"), "9.85 ms");
  EXPECT_EQ(fmt_value(10'000, "us"), "10.0 ms");  // was "10.0 k us"
  EXPECT_EQ(fmt_value(821.11, "us"), "821 " + kMicro + "s");
  EXPECT_EQ(fmt_value(850, kMicro + "s"), "850 " + kMicro + "s");
  EXPECT_EQ(fmt_value(17.1e6, "ns"), "17.1 ms");
  EXPECT_EQ(fmt_value(1500, "ms"), "1.50 s");
  EXPECT_EQ(fmt_value(0.002, "s"), "2.00 ms");
  EXPECT_EQ(fmt_value(0, "1/s"), "0 /s");
  EXPECT_EQ(fmt_value(1200, "1/s"), "1.20 k/s");
  EXPECT_EQ(fmt_value(2048, "bytes"), "2.00 KiB");
  EXPECT_EQ(fmt_value(12'345, "req"), "12.3 kreq");
  EXPECT_EQ(fmt_value(7, ""), "7");
}

TEST(Format, ElapsedTime) {
  EXPECT_EQ(fmt_duration_s(0.012), "12.0 ms");
  EXPECT_EQ(fmt_duration_s(14.93), "14.9 s");
  EXPECT_EQ(fmt_duration_s(59.99), "60.0 s");
  EXPECT_EQ(fmt_duration_s(245), "4 m 05 s");
  EXPECT_EQ(fmt_duration_s(7260), "2 h 01 m");
  EXPECT_EQ(fmt_duration_s(3 * 86400 + 4 * 3600), "3 d 04 h");
}

}  // namespace
