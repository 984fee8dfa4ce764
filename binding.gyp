# The second build path (node-gyp, and prebuildify through it). The main path is
# CMakeLists.txt (cmake-js). Both compile native/*.cc and ask scripts/libtorch.mjs
# which libtorch to use.
{
  "targets": [
    {
      "target_name": "torchlora",
      "sources": [
        "native/core/addon.cc",
        "native/core/autograd.cc",
        "native/core/config.cc",
        "native/core/errors.cc",
        "native/core/function.cc",
        "native/core/generator.cc",
        "native/core/memory.cc",
        "native/core/tensor.cc",
        "native/data/data.cc",
        "native/distributed/collectives.cc",
        "native/distributed/data_parallel.cc",
        "native/distributed/distributed.cc",
        "native/io/filesystem.cc",
        "native/io/serialization.cc",
        "native/jobs/share.cc",
        "native/lora/mixed.cc",
        "native/ops/dispatch.cc",
        "native/ops/functions.cc",
        "native/ops/indexing.cc",
        "native/ops/scalar_math.cc",
        "native/optim/foreach.cc",
        "native/optim/fused.cc",
        "native/optim/fused_loop.cc",
        "native/optim/optimizers.cc",
        "native/optim/options.cc",
        "native/optim/step.cc"
      ],
      "include_dirs": [
        "native",
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.mjs --gyp include_dirs)"
      ],
      "defines": [
        "NAPI_EXPERIMENTAL",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "<!@(node scripts/libtorch.mjs --gyp defines)"
      ],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=c++17"],
      "cflags_cc": ["<!@(node scripts/libtorch.mjs --gyp std)", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-fopenmp",
        "-idirafter", "<(module_root_dir)/native/distributed/shim"],
      "ldflags": ["<!@(node scripts/libtorch.mjs --gyp ldflags)"],
      "libraries": ["<!@(node scripts/libtorch.mjs --gyp libraries)", "-ldl"]
    },
    {
      "target_name": "torchlora_preload",
      "sources": ["native/preload/preload.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-fexceptions", "-O2"],
      "libraries": ["-ldl"]
    }
  ]
}
