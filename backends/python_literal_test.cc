// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/python_literal.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/process_runner.h"

namespace automon::backends {
namespace {

TEST(EncodePythonStringTest, EscapesQuotesBackslashesAndEveryNonPrintable) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", "'plain'"},
      {"", "''"},
      {"it's", "'it\\'s'"},
      {"\"double\"", "'\"double\"'"},
      {"a\\b", "'a\\\\b'"},
      {"trailing\\", "'trailing\\\\'"},
      {"\\'", "'\\\\\\''"},
      {"a\nb\tc\rd", "'a\\nb\\tc\\rd'"},
      {std::string("nul\0x", 5), "'nul\\x00x'"},
      {"\x1b[31m", "'\\x1b[31m'"},
      {"del\x7f", "'del\\x7f'"},
      {"caf\xc3\xa9", "'caf\\xe9'"},
      {"line\xe2\x80\xa8sep", "'line\\u2028sep'"},  // U+2028
      {"\xe2\x80\xae"
       "rtl",
       "'\\u202ertl'"},                       // RIGHT-TO-LEFT OVERRIDE
      {"\xef\xbb\xbf", "'\\ufeff'"},          // BOM
      {"\xf0\x9f\x98\x80", "'\\U0001f600'"},  // outside the BMP
      {"'] + __import__('os').system('id') + ['",
       "'\\'] + __import__(\\'os\\').system(\\'id\\') + [\\''"},
      {"{0}%s$HOSTADDRESS$", "'{0}%s$HOSTADDRESS$'"},
  };
  for (const Case& c : cases) {
    auto encoded = EncodePythonString(c.in);
    ASSERT_TRUE(encoded.ok()) << c.in << ": " << encoded.error().message;
    EXPECT_EQ(*encoded, c.out);
    for (char ch : *encoded) {
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << "non-printable output for " << c.out;
    }
  }
}

TEST(EncodePythonStringTest, RefusesWhatIsNotUtf8) {
  struct Case {
    std::string in;
    std::string error;
  };
  const Case cases[] = {
      {"\xed\xa0\x80", "UTF-16 surrogate at offset 0"},          // U+D800
      {"ok\xed\xbf\xbf", "UTF-16 surrogate at offset 2"},        // U+DFFF
      {"\xc0\xaf", "byte 0xc0 at offset 0 is not valid UTF-8"},  // overlong '/'
      {"ab\xff", "byte 0xff at offset 2 is not valid UTF-8"},
      {"\xc3", "byte 0xc3 at offset 0 is not valid UTF-8"},  // truncated
      {"\xf4\x90\x80\x80", "not valid UTF-8"},               // above U+10FFFF
      {std::string(64 * 1024 + 1, 'a'), "over the limit"},
  };
  for (const Case& c : cases) {
    auto encoded = EncodePythonString(c.in);
    ASSERT_FALSE(encoded.ok()) << c.error;
    EXPECT_NE(encoded.error().message.find(c.error), std::string::npos) << encoded.error().message;
  }
}

TEST(EncodePythonTest, WritesPythonReprLayout) {
  PyValue rule = PyValue::Dict({{"id", PyValue::Str("automon-h-web")},
                                {"n", PyValue::Int(-42)},
                                {"on", PyValue::Bool(true)},
                                {"off", PyValue::Bool(false)},
                                {"none", PyValue()},
                                {"one", PyValue::Tuple({PyValue::Int(1)})},
                                {"two", PyValue::Tuple({PyValue::Int(1), PyValue::Int(2)})},
                                {"empty", PyValue::List()}});
  rule.Set("list", PyValue::List({PyValue::Str("a'b")}));
  auto encoded = EncodePython(rule);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded,
            "{'id': 'automon-h-web', 'n': -42, 'on': True, 'off': False, 'none': None, "
            "'one': (1,), 'two': (1, 2), 'empty': [], 'list': ['a\\'b']}");
}

TEST(EncodePythonTest, SetReplacesAnExistingKeyInPlace) {
  PyValue d = PyValue::Dict({{"a", PyValue::Int(1)}, {"b", PyValue::Int(2)}});
  d.Set("a", PyValue::Int(3));
  EXPECT_EQ(*EncodePython(d), "{'a': 3, 'b': 2}");
}

TEST(EncodePythonTest, FailsWhenAnyNestedStringFails) {
  PyValue list = PyValue::List(
      {PyValue::Str("fine"), PyValue::Dict({{"k", PyValue::Str("bad\xed\xa0\x80")}})});
  EXPECT_FALSE(EncodePython(list).ok());
  PyValue bad_key = PyValue::Dict({{"\xff", PyValue::Int(1)}});
  EXPECT_FALSE(EncodePython(bad_key).ok());
}

// Python itself reads every encoded string back as exactly the input:
// ast.literal_eval of the literal, compared with the UTF-8 bytes given as hex.
TEST(EncodePythonStringTest, PythonReadsBackTheSameString) {
  std::string all_bytes;
  for (int c = 1; c < 0x80; ++c) all_bytes += static_cast<char>(c);
  const std::string inputs[] = {
      all_bytes,
      std::string("\0\0", 2),
      "'''\"\"\"\\\\\\",
      "\xe2\x80\xa8\xe2\x80\xa9\xc2\x85\xc2\xa0",
      "\xf0\x9f\x98\x80\xe4\xb8\xad\xc3\xa9",
      "x'); import os; os.system('id'); ('",
  };
  std::string script =
      "import ast, sys\n"
      "args = sys.argv[1:]\n"
      "for literal, hexed in zip(args[0::2], args[1::2]):\n"
      "    tree = ast.parse(literal, mode='eval')\n"
      "    assert isinstance(tree.body, ast.Constant), literal\n"
      "    value = ast.literal_eval(literal)\n"
      "    assert value.encode('utf-8') == bytes.fromhex(hexed), (literal, hexed)\n"
      "print('ok', len(args) // 2)\n";
  std::vector<std::string> argv = {"/usr/bin/python3", "-I", "-c", script};
  for (const std::string& in : inputs) {
    auto encoded = EncodePythonString(in);
    ASSERT_TRUE(encoded.ok());
    argv.push_back(*encoded);
    std::string hexed;
    for (unsigned char c : in) hexed += fmt::format("{:02x}", c);
    argv.push_back(hexed);
  }
  RealProcessRunner runner;
  auto result = runner.Run(argv, std::chrono::seconds(30));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_code, 0) << result->output;
  EXPECT_EQ(result->output, "ok 6\n");
}

}  // namespace
}  // namespace automon::backends
