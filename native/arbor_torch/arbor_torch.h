// The C ABI of Arbor's libtorch shim. Every function catches every exception and reports it as a
// status code plus a message, so no C++ exception ever crosses into the managed runtime.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Status codes returned by every function.
#define ARBOR_OK 0
#define ARBOR_ERR_TORCH 1        // libtorch raised (bad archive, shape mismatch or bad index inside forward...)
#define ARBOR_ERR_ARGUMENT 2     // the caller passed something invalid (null, bad dtype, small buffer)
#define ARBOR_ERR_DEVICE 3       // the requested device is not available
#define ARBOR_ERR_OUTPUT 4       // forward returned something other than a float tensor [B, outputs]
#define ARBOR_ERR_UNKNOWN 5      // a non-standard exception

// Element types of tensors passed to forward.
#define ARBOR_DTYPE_FLOAT32 0
#define ARBOR_DTYPE_INT64 1

typedef struct arbor_model arbor_model;

// A view of a caller-owned buffer; forward wraps it without copying.
typedef struct arbor_tensor {
  void* data;
  const int64_t* shape;
  int32_t ndim;
  int32_t dtype;
} arbor_tensor;

// Process-wide thread settings. Inter-op threads can be set once per process; later calls with a
// different value are ignored (the first setting wins) and reported through *applied_interop.
int arbor_torch_configure(int32_t intra_op_threads, int32_t interop_threads, int32_t graph_optimize,
                          int32_t* applied_interop, char** error);

// Loads a TorchScript archive onto a device ("cpu", "cuda", "cuda:1") and returns the content of
// its extra file module_info.json (empty when absent). Free the model with arbor_model_free and
// the strings with arbor_string_free.
int arbor_model_load(const char* path, const char* device, arbor_model** model, char** module_info,
                     int64_t* module_info_length, char** error);

// Runs forward(*inputs) on caller buffers and copies the float32 output [rows, cols] into output.
int arbor_model_forward(arbor_model* model, const arbor_tensor* inputs, int32_t input_count,
                        float* output, int64_t output_capacity, int64_t* rows, int64_t* cols,
                        char** error);

void arbor_model_free(arbor_model* model);
void arbor_string_free(char* text);

#ifdef __cplusplus
}
#endif
