"""Protobuf/gRPC code generation with the system protoc (no @com_google_protobuf).

Bazel 4.2.3's proto_library would download protobuf, so a genrule runs Debian's
protoc and grpc_cpp_plugin. Sources are compiled from the workspace root, so
generated headers are included as "proto/<name>.pb.h" everywhere.
"""

def _base(src):
    return src[:-len(".proto")]

def cc_proto(name, src, proto_deps = [], deps = [], grpc = False, visibility = None):
    """Generates and compiles C++ for one .proto file.

    Args:
      name: the cc_library to create.
      src: the .proto file in this package.
      proto_deps: .proto labels that `src` imports.
      deps: cc_proto targets for those imports.
      grpc: also generate gRPC service stubs (and gmock mocks).
      visibility: of the cc_library.
    """
    base = _base(src)
    outs = [base + ".pb.h", base + ".pb.cc"]
    cmd = "protoc -I. --cpp_out=$(GENDIR) "
    if grpc:
        outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc", base + "_mock.grpc.pb.h"]
        cmd += ("--grpc_out=generate_mock_code=true:$(GENDIR) " +
                "--plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) ")
    native.genrule(
        name = name + "_gen",
        srcs = [src] + proto_deps,
        outs = outs,
        cmd = cmd + "$(location %s)" % src,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        # Generated code is not ours to fix; keep -Werror for our own sources.
        copts = ["-Wno-unused-parameter", "-Wno-error"],
        deps = deps + ["//third_party:grpc"],
        visibility = visibility,
    )

def py_proto(name, srcs, grpc_srcs = []):
    """Generates Python modules (and gRPC stubs for `grpc_srcs`) for interop tests."""
    outs = [_base(s) + "_pb2.py" for s in srcs]
    outs += [_base(s) + "_pb2_grpc.py" for s in grpc_srcs]
    cmd = "protoc -I. --python_out=$(GENDIR) $(SRCS)"
    if grpc_srcs:
        cmd += (" && protoc -I. --grpc_out=$(GENDIR) " +
                "--plugin=protoc-gen-grpc=$$(command -v grpc_python_plugin) " +
                " ".join(["$(location %s)" % s for s in grpc_srcs]))
    native.genrule(
        name = name,
        srcs = srcs,
        outs = outs,
        cmd = cmd,
        visibility = ["//visibility:public"],
    )
