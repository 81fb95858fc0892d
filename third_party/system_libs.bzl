"""Wraps a system library found by pkg-config as one cc_library."""

def _pkg_config_library_impl(ctx):
    result = ctx.execute(["pkg-config", "--libs"] + ctx.attr.modules)
    if result.return_code != 0:
        fail("pkg-config --libs %s failed: %s" % (" ".join(ctx.attr.modules), result.stderr))
    linkopts = result.stdout.strip().split(" ") + ctx.attr.extra_linkopts
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD", """
cc_library(
    name = "lib",
    linkopts = {linkopts},
    visibility = ["//visibility:public"],
)
""".format(linkopts = repr([o for o in linkopts if o])))

pkg_config_library = repository_rule(
    implementation = _pkg_config_library_impl,
    attrs = {
        "modules": attr.string_list(mandatory = True),
        "extra_linkopts": attr.string_list(),
    },
    local = True,
)
