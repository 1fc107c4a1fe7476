// Arbor's libtorch shim: load a TorchScript archive with its signature, run forward on caller
// buffers. Compiled by src/Arbor.Leaf/Arbor.Leaf.csproj against Debian's libtorch-dev.
#include "arbor_torch.h"

#include <ATen/Parallel.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

struct arbor_model {
  torch::jit::script::Module module;
  c10::Device device;
};

namespace {

struct ArborError {
  int code;
  std::string message;
};

char* copy_string(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy != nullptr) {
    std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
  }
  return copy;
}

// Messages can carry a C++ backtrace or a long TorchScript traceback; keep the part people read.
std::string brief(std::string message) {
  constexpr size_t kLimit = 4000;
  if (message.size() > kLimit) {
    message.resize(kLimit);
    message += "...";
  }
  return message;
}

template <typename Body>
int guarded(char** error, Body body) {
  if (error != nullptr) {
    *error = nullptr;
  }
  int code = ARBOR_OK;
  std::string message;
  try {
    body();
  } catch (const ArborError& e) {
    code = e.code;
    message = e.message;
  } catch (const c10::Error& e) {
    code = ARBOR_ERR_TORCH;
    message = brief(e.what_without_backtrace());
  } catch (const std::exception& e) {
    // The TorchScript interpreter reports failures inside forward as std::runtime_error.
    code = ARBOR_ERR_TORCH;
    message = brief(e.what());
  } catch (...) {
    code = ARBOR_ERR_UNKNOWN;
    message = "unknown native exception";
  }
  if (code != ARBOR_OK && error != nullptr) {
    *error = copy_string(message);
  }
  return code;
}

std::once_flag interop_once;
int32_t interop_applied = 0;

}  // namespace

extern "C" int arbor_torch_configure(int32_t intra_op_threads, int32_t interop_threads,
                                     int32_t graph_optimize, int32_t* applied_interop,
                                     char** error) {
  return guarded(error, [&] {
    if (intra_op_threads > 0) {
      at::set_num_threads(intra_op_threads);
    }
    // at::set_num_interop_threads throws once the pool exists: set it exactly once.
    std::call_once(interop_once, [&] {
      if (interop_threads > 0) {
        at::set_num_interop_threads(interop_threads);
      }
      interop_applied = at::get_num_interop_threads();
    });
    torch::jit::setGraphExecutorOptimize(graph_optimize != 0);
    if (applied_interop != nullptr) {
      *applied_interop = interop_applied;
    }
  });
}

extern "C" int arbor_model_load(const char* path, const char* device, arbor_model** model,
                                char** module_info, int64_t* module_info_length, char** error) {
  return guarded(error, [&] {
    if (path == nullptr || model == nullptr || module_info == nullptr || module_info_length == nullptr) {
      throw ArborError{ARBOR_ERR_ARGUMENT, "arbor_model_load: null argument"};
    }
    *model = nullptr;
    *module_info = nullptr;
    *module_info_length = 0;
    c10::Device target(device == nullptr || *device == '\0' ? std::string("cpu") : std::string(device));
    if (target.is_cuda() && !torch::cuda::is_available()) {
      throw ArborError{ARBOR_ERR_DEVICE,
                       "device '" + target.str() +
                           "' requested but CUDA is not available to this libtorch build"};
    }
    if (!target.is_cpu() && !target.is_cuda()) {
      throw ArborError{ARBOR_ERR_DEVICE, "device '" + target.str() + "' is not supported (use cpu or cuda)"};
    }
    torch::jit::ExtraFilesMap extra{{"module_info.json", ""}};
    auto loaded = torch::jit::load(path, target, extra);
    loaded.eval();
    const std::string& info = extra["module_info.json"];
    auto* result = new arbor_model{std::move(loaded), target};
    char* info_copy = copy_string(info);
    if (info_copy == nullptr) {
      delete result;
      throw std::bad_alloc();
    }
    *module_info = info_copy;
    *module_info_length = static_cast<int64_t>(info.size());
    *model = result;
  });
}

extern "C" int arbor_model_forward(arbor_model* model, const arbor_tensor* inputs, int32_t input_count,
                                   float* output, int64_t output_capacity, int64_t* rows,
                                   int64_t* cols, char** error) {
  return guarded(error, [&] {
    if (model == nullptr || (inputs == nullptr && input_count > 0) || rows == nullptr || cols == nullptr) {
      throw ArborError{ARBOR_ERR_ARGUMENT, "arbor_model_forward: null argument"};
    }
    *rows = 0;
    *cols = 0;
    c10::InferenceMode guard;
    std::vector<c10::IValue> args;
    args.reserve(static_cast<size_t>(input_count));
    for (int32_t i = 0; i < input_count; ++i) {
      const arbor_tensor& t = inputs[i];
      if (t.ndim < 0 || (t.ndim > 0 && t.shape == nullptr)) {
        throw ArborError{ARBOR_ERR_ARGUMENT, "input " + std::to_string(i) + ": bad shape"};
      }
      c10::ScalarType type;
      switch (t.dtype) {
        case ARBOR_DTYPE_FLOAT32: type = torch::kFloat32; break;
        case ARBOR_DTYPE_INT64: type = torch::kInt64; break;
        default: throw ArborError{ARBOR_ERR_ARGUMENT, "input " + std::to_string(i) + ": unknown dtype"};
      }
      auto tensor = torch::from_blob(t.data, c10::IntArrayRef(t.shape, static_cast<size_t>(t.ndim)),
                                     torch::TensorOptions().dtype(type));
      if (!model->device.is_cpu()) {
        tensor = tensor.to(model->device);
      }
      args.emplace_back(std::move(tensor));
    }
    auto result = model->module.forward(std::move(args));
    if (!result.isTensor()) {
      throw ArborError{ARBOR_ERR_OUTPUT, "forward returned " + result.tagKind() + ", expected a Tensor"};
    }
    auto scores = result.toTensor();
    if (scores.dim() == 1) {
      scores = scores.unsqueeze(1);
    }
    if (scores.dim() != 2) {
      throw ArborError{ARBOR_ERR_OUTPUT,
                       "forward returned a tensor of " + std::to_string(scores.dim()) + " dimensions, expected [B, outputs]"};
    }
    if (scores.scalar_type() != torch::kFloat32) {
      throw ArborError{ARBOR_ERR_OUTPUT, std::string("forward returned dtype ") +
                                             c10::toString(scores.scalar_type()) + ", expected float32"};
    }
    scores = scores.to(torch::kCPU).contiguous();
    const int64_t count = scores.numel();
    if (count > output_capacity || (count > 0 && output == nullptr)) {
      throw ArborError{ARBOR_ERR_ARGUMENT, "output buffer holds " + std::to_string(output_capacity) +
                                               " floats, forward returned " + std::to_string(count)};
    }
    std::memcpy(output, scores.data_ptr<float>(), static_cast<size_t>(count) * sizeof(float));
    *rows = scores.size(0);
    *cols = scores.size(1);
  });
}

extern "C" void arbor_model_free(arbor_model* model) {
  try {
    delete model;
  } catch (...) {
    // A destructor that throws must not take the process down.
  }
}

extern "C" void arbor_string_free(char* text) { std::free(text); }
