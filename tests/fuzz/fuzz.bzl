"""One macro per libFuzzer target: the harness, the fuzzer and its corpus test.

pytorrent_fuzz_target(name = "x_fuzz", srcs = ["x_fuzz.cc"], deps = [...]) makes
  :x_fuzz_harness      the harness (LLVMFuzzerTestOneInput) as a library;
  :x_fuzz              the libFuzzer binary (tags manual + fuzz_target; build
                       with --config=fuzz, .ci/run runs each one for 30 s);
  :x_fuzz_corpus_test  a plain cc_test that replays every input in
                       x_fuzz_corpus/ through the harness in every config
                       (normal, asan, ubsan, tsan), so a crash found once,
                       saved into the corpus, stays a regression test.
"""

def pytorrent_fuzz_target(name, srcs, deps):
    corpus = name + "_corpus"
    native.cc_library(
        name = name + "_harness",
        testonly = True,
        srcs = srcs,
        deps = deps,
        alwayslink = True,
    )
    native.cc_binary(
        name = name,
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual", "fuzz_target"],
        deps = [":" + name + "_harness"],
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        args = [native.package_name() + "/" + corpus],
        data = native.glob([corpus + "/**"]) + ["//:tsan.supp"],
        deps = [
            ":" + name + "_harness",
            ":corpus_replay_main",
        ],
    )
