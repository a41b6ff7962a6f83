// The completions request parser (serve/request.h): defaults, every field's checks, the status of
// each kind of bad input (400, 404 for another model), and that no input crashes it.
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "serve/request.h"

using namespace infertrace::serve;

namespace {

const ModelLimits kLimits{"tiny", 64, 100};

// A stand-in tokenizer: one id per character (its code modulo 100); "" encodes to nothing.
std::vector<int32_t> encode(const std::string& text) {
  std::vector<int32_t> ids;
  for (unsigned char c : text) ids.push_back(c % 100);
  return ids;
}

CompletionRequest parse(const std::string& body) { return parse_completion_request(body, kLimits, encode, 99); }

int status_of(const std::string& body) {
  try {
    parse(body);
  } catch (const RequestError& e) {
    return e.status();
  }
  return 200;
}

}  // namespace

TEST(ServeRequest, Defaults) {
  const CompletionRequest r = parse(R"({"prompt":"abc"})");
  EXPECT_EQ(r.prompt, (std::vector<int32_t>{97, 98, 99}));
  EXPECT_EQ(r.max_tokens, 16);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 1.0f);
  EXPECT_EQ(r.sampling.top_k, 0);
  EXPECT_EQ(r.sampling.seed, 99u);
  EXPECT_FALSE(r.stream);
  EXPECT_FALSE(r.include_usage);
  EXPECT_FALSE(r.ignore_eos);
}

TEST(ServeRequest, EveryField) {
  const CompletionRequest r = parse(
      R"({"model":"tiny","prompt":[0,5,99],"max_tokens":7,"temperature":0,"top_p":0.5,"top_k":3,"seed":12,
          "stream":true,"stream_options":{"include_usage":true},"ignore_eos":true,"return_token_ids":true,
          "user":"x","n":1,"echo":false,"stop":[]})");
  EXPECT_EQ(r.prompt, (std::vector<int32_t>{0, 5, 99}));
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.5f);
  EXPECT_EQ(r.sampling.top_k, 3);
  EXPECT_EQ(r.sampling.seed, 12u);
  EXPECT_TRUE(r.stream && r.include_usage && r.ignore_eos && r.return_token_ids);
  EXPECT_EQ(parse(R"({"prompt":"a","top_k":-1})").sampling.top_k, 0);
}

TEST(ServeRequest, BadInputIs400) {
  for (const char* body : {
           "", "{", "not json", "[1,2]", "42", R"({"max_tokens":3})", R"({"prompt":""})", R"({"prompt":[]})",
           R"({"prompt":3})", R"({"prompt":{"a":1}})", R"({"prompt":["a","b"]})", R"({"prompt":[[1,2],[3]]})",
           R"({"prompt":[[]]})", R"({"prompt":[""]})", R"({"prompt":[["a"]]})", R"({"prompt":[[[1]]]})",
           R"({"prompt":[[1,100]]})",
           R"({"prompt":[1,2.5]})", R"({"prompt":[1,-1]})", R"({"prompt":[100]})",
           R"({"prompt":[18446744073709551615]})", R"({"prompt":"a","max_tokens":0})",
           R"({"prompt":"a","max_tokens":-4})", R"({"prompt":"a","max_tokens":2.5})", R"({"prompt":"a","max_tokens":"2"})",
           R"({"prompt":"a","temperature":-0.1})", R"({"prompt":"a","temperature":"hot"})", R"({"prompt":"a","top_p":0})",
           R"({"prompt":"a","top_p":1.5})", R"({"prompt":"a","top_k":-2})", R"({"prompt":"a","stream":1})",
           R"({"prompt":"a","stream":true,"stream_options":true})",
           R"({"prompt":"a","stream":true,"stream_options":{"include_usage":1}})",
           R"({"prompt":"a","stream_options":{"include_usage":true}})", R"({"prompt":"a","ignore_eos":"yes"})",
           R"({"prompt":"a","n":2})", R"({"prompt":"a","logprobs":3})", R"({"prompt":"a","echo":true})",
R"({"prompt":"a","model":5})", R"({"prompt":"a","seed":1.5})"})
    EXPECT_EQ(status_of(body), 400) << body;
}

// Review SL L5: an integer field takes a number with no fractional part (2.0, 1e1), as vLLM's
// pydantic models do in lax mode (a JavaScript client computing max_tokens sends 2.0); 2.5, "2",
// true and a whole number beyond int64 are refused with the wording a JSON integer would get.
static std::string message_of(const std::string& body) {
  try {
    parse(body);
  } catch (const RequestError& e) {
    return e.what();
  }
  return "";
}

TEST(ServeRequest, IntegralFloatsAreIntegers) {
  const CompletionRequest r =
      parse(R"({"prompt":[0.0,5.0,99.0],"max_tokens":2.0,"top_k":3.0,"seed":12.0,"n":1.0,"best_of":1e0,
               "stop_token_ids":[7.0,-0.0]})");
  EXPECT_EQ(r.prompt, (std::vector<int32_t>{0, 5, 99}));
  EXPECT_EQ(r.max_tokens, 2);
  EXPECT_EQ(r.sampling.top_k, 3);
  EXPECT_EQ(r.sampling.seed, 12u);
  EXPECT_EQ(r.stop_token_ids, (std::vector<int32_t>{0, 7}));
  EXPECT_EQ(parse(R"({"prompt":"a","max_tokens":1e1})").max_tokens, 10);
  // The largest double below 2^63 is 2^63 - 1024: a whole number, in range.
  EXPECT_EQ(parse(R"({"prompt":"a","seed":9223372036854774784.0})").sampling.seed, (uint64_t{1} << 63) - 1024);
  EXPECT_EQ(parse(R"({"prompt":"a","seed":-2.0})").sampling.seed, static_cast<uint64_t>(int64_t{-2}));
  // The same checks as for the integer: 0.0 is below 1, 2.0 for n is not 1.
  EXPECT_EQ(message_of(R"({"prompt":"a","max_tokens":0.0})"), "'max_tokens' must be >= 1");
  EXPECT_EQ(message_of(R"({"prompt":"a","n":2.0})"), "'n' other than 1 is not supported");
  for (const char* field : {"max_tokens", "top_k", "seed", "n"}) {
    const std::string f = field;
    for (const char* v : {"2.5", "-0.5", "1e-3", "\"2\"", "true", "[2]"})
      EXPECT_EQ(message_of(R"({"prompt":"a",")" + f + R"(":)" + v + "}"), "'" + f + "' must be an integer") << v;
    // 2^63 and above, as an integer or as a float: out of int64.
    for (const char* v : {"9223372036854775808", "9223372036854775808.0", "1e20"})
      EXPECT_EQ(message_of(R"({"prompt":"a",")" + f + R"(":)" + v + "}"), "'" + f + "' is too large") << v;
    EXPECT_EQ(message_of(R"({"prompt":"a",")" + f + R"(":-1e20})"), "'" + f + "' is too small");
  }
  EXPECT_EQ(message_of(R"({"prompt":[1,2.5]})"), "'prompt'[1] is not an integer token id");
  EXPECT_EQ(message_of(R"({"prompt":[1,100.0]})"), "token id 100.0 at 'prompt'[1] is outside the vocabulary [0, 100)");
  EXPECT_EQ(message_of(R"({"prompt":[1e20]})"), "token id 1e+20 at 'prompt'[0] is outside the vocabulary [0, 100)");
  EXPECT_EQ(message_of(R"({"prompt":"a","stop_token_ids":[0.5]})"), "'stop_token_ids[0]' is not an integer token id");
  EXPECT_EQ(message_of(R"({"prompt":"a","stop_token_ids":[-1.0]})"),
            "token id -1.0 at 'stop_token_ids[0]' is outside the vocabulary [0, 100)");
}

// Found by fuzz_request: 1e300 passed every check and reached the sampler as a float inf.
TEST(ServeRequest, TemperatureBeyondFloatIs400) {
  EXPECT_EQ(status_of(R"({"prompt":"a","temperature":1e300})"), 400);
  EXPECT_EQ(status_of(R"({"prompt":"a","temperature":3.5e38})"), 400);  // just above FLT_MAX (3.40282e38)
  EXPECT_FLOAT_EQ(parse(R"({"prompt":"a","temperature":3.4e38})").sampling.temperature, 3.4e38f);
}

// vLLM's top_k: 1 keeps only the most likely token (greedy), 0 and -1 turn it off, and a count
// beyond the vocabulary keeps every token (kLimits' n_vocab is 100).
TEST(ServeRequest, TopKOfOneKeepsOneToken) {
  EXPECT_EQ(parse(R"({"prompt":"a","top_k":1})").sampling.top_k, 1);
  EXPECT_EQ(parse(R"({"prompt":"a","top_k":2})").sampling.top_k, 2);
  EXPECT_EQ(parse(R"({"prompt":"a","top_k":0})").sampling.top_k, 0);
  EXPECT_EQ(parse(R"({"prompt":"a","top_k":1000})").sampling.top_k, 100);
}

// OpenAI's completions `suffix` (the text that comes after the inserted completion): not
// implemented, so a non-empty one is refused rather than silently dropped; "" and null ask for nothing.
TEST(ServeRequest, SuffixIsRefusedUnlessItAsksForNothing) {
  EXPECT_EQ(status_of(R"({"prompt":"a","suffix":" return x"})"), 400);
  EXPECT_EQ(status_of(R"({"prompt":"a","suffix":""})"), 200);
  EXPECT_EQ(status_of(R"({"prompt":"a","suffix":null})"), 200);
}

TEST(ServeRequest, AnotherModelIs404) {
  EXPECT_EQ(status_of(R"({"prompt":"a","model":"other"})"), 404);
  EXPECT_EQ(status_of(R"({"prompt":"a","model":null})"), 200);
}

TEST(ServeRequest, ContextLimitNamesBothNumbers) {
  // 60 prompt tokens + 4 = 64 = ctx fits; + 5 does not.
  const std::string prompt(60, 'a');
  EXPECT_EQ(parse(R"({"prompt":")" + prompt + R"(","max_tokens":4})").prompt.size(), 60u);
  try {
    parse(R"({"prompt":")" + prompt + R"(","max_tokens":5})");
    FAIL() << "no error";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.status(), 400);
    const std::string m = e.what();
    EXPECT_NE(m.find("60"), std::string::npos) << m;
    EXPECT_NE(m.find("5 completion"), std::string::npos) << m;
    EXPECT_NE(m.find("64"), std::string::npos) << m;
  }
}

// A text prompt that cannot fit whatever it encodes to is refused before it is encoded (encoding
// a 64 MiB prompt took 38 s and 12 GB before this): the bound is ctx times the tokenizer's most
// bytes per token, max_tokens included.
TEST(ServeRequest, TooManyPromptBytesRefusedBeforeEncoding) {
  ModelLimits limits = kLimits;  // ctx 64
  limits.max_text_bytes_per_token = 4;
  int encoded = 0;
  auto counting = [&](const std::string& text) {
    ++encoded;
    return encode(text);
  };
  auto status = [&](size_t bytes, int max_tokens, std::string* message = nullptr) {
    const std::string body = R"({"prompt":")" + std::string(bytes, 'a') + R"(","max_tokens":)" + std::to_string(max_tokens) + "}";
    try {
      parse_completion_request(body, limits, counting, 1);
    } catch (const RequestError& e) {
      if (message) *message = e.what();
      return e.status();
    }
    return 200;
  };
  // 4 * 60 + 1 bytes are at least 61 tokens: with 4 more, 65 > 64, refused without encoding.
  std::string m;
  EXPECT_EQ(status(241, 4, &m), 400);
  EXPECT_EQ(encoded, 0);
  EXPECT_NE(m.find("241 bytes is at least 61 tokens"), std::string::npos) << m;
  EXPECT_NE(m.find("64 tokens"), std::string::npos) << m;
  EXPECT_NE(m.find("4 completion"), std::string::npos) << m;
  EXPECT_EQ(status(size_t{64} << 20, 1), 400);
  EXPECT_EQ(encoded, 0);
  // 240 bytes may be 60 tokens: encoded, then refused on the real count (240, one per byte here).
  EXPECT_EQ(status(240, 4, &m), 400);
  EXPECT_EQ(encoded, 1);
  EXPECT_NE(m.find("has 240 prompt tokens"), std::string::npos) << m;
  // A prompt that fits the bound and its real count passes.
  EXPECT_EQ(status(60, 4), 200);
  EXPECT_EQ(encoded, 2);
  // Without a bound (0) every text is encoded.
  limits.max_text_bytes_per_token = 0;
  EXPECT_EQ(status(241, 4), 400);
  EXPECT_EQ(encoded, 3);
}

// Found by an outside audit: frequency_penalty 0.5 was answered 200 and silently not applied.
// Sampling controls the server does not implement are accepted only at their neutral value.
TEST(ServeRequest, UnimplementedSamplingControlsOnlyAtTheirNeutralValue) {
  for (const char* body : {R"({"prompt":"a","frequency_penalty":0,"presence_penalty":0.0,"repetition_penalty":1,
                               "min_p":0,"min_tokens":0,"logit_bias":{}})",
                           R"({"prompt":"a","frequency_penalty":null,"repetition_penalty":null,"logit_bias":null})"})
    EXPECT_EQ(status_of(body), 200) << body;
  const std::pair<const char*, const char*> refused[] = {
      {"frequency_penalty", "0.5"}, {"presence_penalty", "-1"}, {"repetition_penalty", "1.1"}, {"min_p", "0.05"},
      {"min_tokens", "4"},          {"logit_bias", R"({"5":-100})"}, {"frequency_penalty", R"("0")"},
      {"logit_bias", "[]"}};
  for (const auto& [field, value] : refused) {
    const std::string body = std::string(R"({"prompt":"a",")") + field + "\":" + value + "}";
    try {
      parse(body);
      ADD_FAILURE() << body << " accepted";
    } catch (const RequestError& e) {
      EXPECT_EQ(e.status(), 400) << body;
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
}

TEST(ServeRequest, TokenizerErrorIs400) {
  auto throwing = [](const std::string&) -> std::vector<int32_t> { throw std::runtime_error("bad utf-8"); };
  try {
    parse_completion_request(R"({"prompt":"x"})", kLimits, throwing, 1);
    FAIL() << "no error";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.status(), 400);
  }
}

TEST(ServeRequest, ErrorBodyFollowsTheSpec) {
  const auto j = nlohmann::json::parse(error_body(404, "no such model"));
  EXPECT_EQ(j["error"]["message"], "no such model");
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["code"], 404);
  EXPECT_EQ(nlohmann::json::parse(error_body(503, "full"))["error"]["type"], "server_error");
}

// Arbitrary bytes (every prefix of a valid body, and bytes flipped) give a result or a RequestError.
TEST(ServeRequest, NoInputCrashes) {
  const std::string body =
      R"({"prompt":[1,2,3],"max_tokens":4,"temperature":0.5,"stream":true,"stream_options":{"include_usage":true}})";
  for (size_t n = 0; n <= body.size(); ++n) {
    const int s = status_of(body.substr(0, n));
    EXPECT_TRUE(s == 200 || s == 400) << n;
  }
  for (size_t i = 0; i < body.size(); ++i)
    for (char c : {'\0', '"', '9', '-', '{', ']', '\xff'}) {
      std::string b = body;
      b[i] = c;
      const int s = status_of(b);
      EXPECT_TRUE(s == 200 || s == 400 || s == 404) << b;
    }
}

TEST(ServeRequest, StopStrings) {
  EXPECT_TRUE(parse(R"({"prompt":"a"})").stop.empty());
  EXPECT_EQ(parse(R"({"prompt":"a","stop":"\n\n"})").stop, (std::vector<std::string>{"\n\n"}));
  EXPECT_EQ(parse(R"({"prompt":"a","stop":["x","y\u00e9","x","zz"]})").stop,
            (std::vector<std::string>{"x", "y\xC3\xA9", "x", "zz"}));
  // Asking for nothing, as clients send by default.
  EXPECT_TRUE(parse(R"({"prompt":"a","stop":""})").stop.empty());
  EXPECT_TRUE(parse(R"({"prompt":"a","stop":[]})").stop.empty());
  EXPECT_TRUE(parse(R"({"prompt":"a","stop":null})").stop.empty());
  // vLLM's include_stop_str_in_output: only its default is accepted (the stop string is never returned).
  EXPECT_EQ(status_of(R"({"prompt":"a","stop":"x","include_stop_str_in_output":false})"), 200);
  EXPECT_EQ(status_of(R"({"prompt":"a","stop":"x","include_stop_str_in_output":true})"), 400);
  // vLLM's extras that would change the answer: their "nothing" passes, anything else is a 400.
  EXPECT_EQ(status_of(R"({"prompt":"a","use_beam_search":false,"bad_words":[],"allowed_token_ids":[],"guided_decoding_backend":"x","length_penalty":1.0,"response_format":{"type":"text"}})"), 200);
  EXPECT_EQ(status_of(R"({"prompt":"a","response_format":{"type":"json_object"}})"), 400);
  for (const char* body : {R"({"prompt":"a","use_beam_search":true})", R"({"prompt":"a","bad_words":["x"]})",
                           R"({"prompt":"a","allowed_token_ids":[1,2]})", R"({"prompt":"a","guided_json":{}})",
                           R"({"prompt":"a","guided_regex":"[a-z]+"})", R"({"prompt":"a","guided_choice":["y","n"]})",
                           R"({"prompt":"a","guided_grammar":"root ::= \"a\""})", R"({"prompt":"a","structured_outputs":{"json":{}}})",
                           R"({"prompt":"a","truncate_prompt_tokens":4})", R"({"prompt":"a","prompt_logprobs":1})"})
    EXPECT_EQ(status_of(body), 400) << body;
  const std::string longest(CompletionRequest::kMaxStopBytes, 'q');
  EXPECT_EQ(parse(R"({"prompt":"a","stop":")" + longest + R"("})").stop.at(0), longest);
  for (const std::string& body :
       {std::string(R"({"prompt":"a","stop":["a","b","c","d","e"]})"), std::string(R"({"prompt":"a","stop":[""]})"),
        std::string(R"({"prompt":"a","stop":["a",""]})"), std::string(R"({"prompt":"a","stop":5})"),
        std::string(R"({"prompt":"a","stop":["a",5]})"), std::string(R"({"prompt":"a","stop":{"x":1}})"),
        std::string(R"({"prompt":"a","stop":[["a"]]})"), R"({"prompt":"a","stop":")" + longest + R"(q"})",
        R"({"prompt":"a","stop":["x",")" + longest + R"(q"]})"})
    EXPECT_EQ(status_of(body), 400) << body;
  try {
    parse(R"({"prompt":"a","stop":["a","b","c","d","e"]})");
  } catch (const RequestError& e) {
    EXPECT_NE(std::string(e.what()).find("at most 4"), std::string::npos) << e.what();
  }
}

TEST(ServeRequest, StopTokenIds) {
  EXPECT_EQ(parse(R"({"prompt":"a","stop_token_ids":[7,0,99,7]})").stop_token_ids, (std::vector<int32_t>{0, 7, 99}));
  EXPECT_TRUE(parse(R"({"prompt":"a","stop_token_ids":[]})").stop_token_ids.empty());
  // ignore_eos leaves them on: both are kept.
  const CompletionRequest r = parse(R"({"prompt":"a","ignore_eos":true,"stop_token_ids":[3],"stop":"x"})");
  EXPECT_TRUE(r.ignore_eos);
  EXPECT_EQ(r.stop_token_ids, (std::vector<int32_t>{3}));
  for (const char* body : {R"({"prompt":"a","stop_token_ids":[100]})", R"({"prompt":"a","stop_token_ids":[-1]})",
                           R"({"prompt":"a","stop_token_ids":[1.5]})", R"({"prompt":"a","stop_token_ids":["1"]})",
                           R"({"prompt":"a","stop_token_ids":5})",
                           R"({"prompt":"a","stop_token_ids":[18446744073709551615]})"})
    EXPECT_EQ(status_of(body), 400) << body;
  std::string many = R"({"prompt":"a","stop_token_ids":[)";
  for (size_t i = 0; i <= CompletionRequest::kMaxStopTokenIds; ++i) many += (i ? ",1" : "1");
  EXPECT_EQ(status_of(many + "]}"), 400);
}

// Review HS H1: a body of more JSON values than a request fitting the context can hold is refused
// with 413 before any DOM is built. kLimits' ctx 64: at most 4 * 64 + 4096 = 4352 values.
TEST(ServeRequest, MoreJsonValuesThanTheContextAllowsIs413) {
  // {"prompt":[1],"x":[0,...]}: the object, the prompt array, its id and the x array are 4 values.
  auto body = [](size_t zeros) {
    std::string b = R"({"prompt":[1],"x":[)";
    for (size_t i = 0; i < zeros; ++i) b += i ? ",0" : "0";
    return b + "]}";
  };
  EXPECT_EQ(status_of(body(4352 - 4)), 200);
  EXPECT_EQ(status_of(body(4352 - 3)), 413);
  // Empty objects and nesting count alike; the message names the bound and --ctx.
  std::string objects = R"({"prompt":"a","x":[)";
  for (int i = 0; i < 5000; ++i) objects += i ? ",{}" : "{}";
  objects += "]}";
  try {
    parse(objects);
    FAIL() << "accepted";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.status(), 413);
    const std::string m = e.what();
    EXPECT_NE(m.find("4352 JSON values"), std::string::npos) << m;
    EXPECT_NE(m.find("64 tokens (--ctx)"), std::string::npos) << m;
  }
  EXPECT_EQ(status_of(R"({"prompt":"a","x":)" + std::string(5000, '[') + std::string(5000, ']') + "}"), 413);
  // A prompt of ctx token ids with every stop field at its largest still fits.
  std::string ids = R"({"prompt":[)";
  for (int i = 0; i < 60; ++i) ids += i ? ",1" : "1";
  ids += R"(],"max_tokens":4,"stop":["a","b","c","d"],"stop_token_ids":[)";
  for (int i = 0; i < 1024; ++i) ids += i ? "," + std::to_string(i % 100) : "0";
  EXPECT_EQ(status_of(ids + "]}"), 200);
  // Malformed JSON is still a 400, counted or not.
  EXPECT_EQ(status_of(R"({"prompt":"a",)"), 400);
  // The bound saturates rather than wrap for a context of no practical limit.
  EXPECT_EQ(max_json_values(std::numeric_limits<int64_t>::max()), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(max_json_values(0), 4096u);
}

// Review HS L6: OpenAI's error object has "param": the field at fault, or null.
TEST(ServeRequest, ErrorsNameTheirParam) {
  try {
    parse(R"({"prompt":"a","max_tokens":0})");
    FAIL() << "accepted";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.param(), "max_tokens");
    const auto j = nlohmann::json::parse(error_body(e.status(), e.what(), e.param()));
    EXPECT_EQ(j["error"]["param"], "max_tokens");
  }
  try {
    parse(R"({"prompt":[1,500]})");
    FAIL() << "accepted";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.param(), "");  // "token id 500 at 'prompt'[1] ...": no field opens the message
  }
  const auto j = nlohmann::json::parse(error_body(400, "bad"));
  ASSERT_TRUE(j["error"].contains("param"));
  EXPECT_TRUE(j["error"]["param"].is_null());
}

// Review HS L6: counts of one are singular ("at least 1 token", not "1 tokens").
TEST(ServeRequest, ContextMessagesSayOneTokenNotOneTokens) {
  ModelLimits limits = kLimits;  // ctx 64
  limits.max_text_bytes_per_token = 4;
  try {
    parse_completion_request(R"({"prompt":"abc","max_tokens":64})", limits, encode, 1);
    FAIL() << "accepted";
  } catch (const RequestError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("prompt of 3 bytes is at least 1 token (no token"), std::string::npos) << m;
    EXPECT_NE(m.find("asks for 64 completion tokens"), std::string::npos) << m;
  }
  try {
    parse(R"({"prompt":"a","max_tokens":64})");
    FAIL() << "accepted";
  } catch (const RequestError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("the request has 1 prompt token and asks"), std::string::npos) << m;
  }
}

// Review HS L6: a batch of one prompt (lm-eval's local-completions and SDK wrappers send
// ["text"]) is that prompt; a batch of more is refused, saying so.
TEST(ServeRequest, BatchOfOnePromptIsThatPrompt) {
  EXPECT_EQ(parse(R"({"prompt":["abc"]})").prompt, (std::vector<int32_t>{97, 98, 99}));
  EXPECT_EQ(parse(R"({"prompt":[[0,5,99]]})").prompt, (std::vector<int32_t>{0, 5, 99}));
  EXPECT_EQ(message_of(R"({"prompt":["a","b"]})"),
            "'prompt' is a batch of 2 prompts: batches of more than one prompt are not supported (send one request "
            "per prompt, or a batch of one)");
  EXPECT_EQ(message_of(R"({"prompt":[[1],[2],[3]]})").rfind("'prompt' is a batch of 3 prompts: ", 0), 0u);
  EXPECT_EQ(message_of(R"({"prompt":[""]})"), "'prompt'[0] is empty");
  EXPECT_EQ(message_of(R"({"prompt":[[1,100]]})"), "token id 100 at 'prompt'[0][1] is outside the vocabulary [0, 100)");
  EXPECT_EQ(message_of(R"({"prompt":[[[1]]]})").rfind("'prompt'[0] must be one string or one array of token ids", 0), 0u);
}
