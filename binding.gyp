# The second build path (node-gyp, and prebuildify through it). The main path is
# CMakeLists.txt (cmake-js). Both compile native/*.cc and ask scripts/libtorch.mjs
# which libtorch to use.
{
  "targets": [
    {
      "target_name": "torchlora",
      "sources": [
        "native/addon.cc",
        "native/autograd.cc",
        "native/config.cc",
        "native/data.cc",
        "native/data_parallel.cc",
        "native/dispatch.cc",
        "native/dist_collectives.cc",
        "native/distributed.cc",
        "native/errors.cc",
        "native/files.cc",
        "native/function.cc",
        "native/fused.cc",
        "native/indexing.cc",
        "native/lora.cc",
        "native/memory.cc",
        "native/nn.cc",
        "native/ops.cc",
        "native/optim.cc",
        "native/optim_options.cc",
        "native/optim_step.cc",
        "native/scalar_math.cc",
        "native/serialization.cc",
        "native/shared.cc",
        "native/tensor.cc"
      ],
      "include_dirs": [
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
        "-idirafter", "<(module_root_dir)/native/shim"],
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
