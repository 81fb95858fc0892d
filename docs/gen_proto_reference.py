#!/usr/bin/python3
"""Writes the Markdown reference of proto/*.proto from a descriptor set.

Usage: gen_proto_reference.py DESCRIPTOR_SET > proto-reference.md

The descriptor set comes from `protoc --include_source_info
--descriptor_set_out` (see docs/BUILD.bazel), so every comment written in
proto/ appears here next to its element: files, services and methods,
messages and fields, enums and values. Only files under proto/ are listed.
"""
import sys

from google.protobuf import descriptor_pb2

# FileDescriptorProto / DescriptorProto / ... field numbers used in
# SourceCodeInfo paths.
MESSAGE, ENUM, SERVICE, SYNTAX = 4, 5, 6, 12
FIELD, VALUE, METHOD = 2, 2, 2

TYPE_NAMES = {v: k[len("TYPE_"):].lower()
              for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()}


def comments_by_path(file):
    out = {}
    for loc in file.source_code_info.location:
        text = loc.leading_comments or loc.trailing_comments
        detached = "\n".join(loc.leading_detached_comments)
        out[tuple(loc.path)] = (text, detached)
    return out


def clean(text):
    lines = [line[1:] if line.startswith(" ") else line for line in text.strip("\n").split("\n")]
    return "\n".join(lines).strip()


def cell(text):
    return clean(text).replace("\n", " ").replace("|", "\\|")


def type_of(field):
    if field.type_name:
        name = field.type_name.lstrip(".")
        return "[%s](#%s)" % (name.split(".")[-1], name.split(".")[-1].lower())
    return TYPE_NAMES[field.type]


def main():
    fds = descriptor_pb2.FileDescriptorSet()
    with open(sys.argv[1], "rb") as f:
        fds.ParseFromString(f.read())
    out = ["# PyTorrent protocol reference (pytorrent.v1)", "",
           "Generated from the comments in `proto/` by `docs/gen_proto_reference.py`;",
           "do not edit. `bazel test //docs:proto_reference_current_test` fails when this",
           "file is stale; `bazel build //docs:proto_reference` writes the current one.", ""]
    for file in fds.file:
        if not file.name.startswith("proto/"):
            continue
        c = comments_by_path(file)
        out += ["## %s" % file.name, ""]
        header = c.get((SYNTAX,), ("", ""))
        text = clean(header[1] or header[0])
        if text:
            out += ["```text", text, "```", ""]
        for i, service in enumerate(file.service):
            out += ["### service %s" % service.name, ""]
            doc = clean(c.get((SERVICE, i), ("", ""))[0])
            if doc:
                out += [doc, ""]
            out += ["| method | request | response | description |", "|---|---|---|---|"]
            for j, m in enumerate(service.method):
                stream = "stream " if m.server_streaming else ""
                out.append("| %s | %s | %s%s | %s |" % (
                    m.name, m.input_type.split(".")[-1], stream, m.output_type.split(".")[-1],
                    cell(c.get((SERVICE, i, METHOD, j), ("", ""))[0])))
            out.append("")
        for i, message in enumerate(file.message_type):
            out += ["### %s" % message.name, ""]
            doc = clean(c.get((MESSAGE, i), ("", ""))[0])
            if doc:
                out += [doc, ""]
            if message.field:
                out += ["| field | number | type | description |", "|---|---|---|---|"]
                for j, f in enumerate(message.field):
                    label = "repeated " if f.label == f.LABEL_REPEATED else ""
                    oneof = (" (oneof %s)" % message.oneof_decl[f.oneof_index].name
                             if f.HasField("oneof_index") else "")
                    out.append("| %s | %d | %s%s%s | %s |" % (
                        f.name, f.number, label, type_of(f), oneof,
                        cell(c.get((MESSAGE, i, FIELD, j), ("", ""))[0])))
                out.append("")
        for i, enum in enumerate(file.enum_type):
            out += ["### %s" % enum.name, ""]
            doc = clean(c.get((ENUM, i), ("", ""))[0])
            if doc:
                out += [doc, ""]
            out += ["| value | number | description |", "|---|---|---|"]
            for j, v in enumerate(enum.value):
                out.append("| %s | %d | %s |" % (v.name, v.number,
                                                  cell(c.get((ENUM, i, VALUE, j), ("", ""))[0])))
            out.append("")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
