// The OpenCL API as Swift sees it: version 3.0 headers with the 1.2 entry points kept
// (clCreateCommandQueue works on every driver, 1.2 or newer).
#ifndef SGAN_COPENCL_SHIM_H
#define SGAN_COPENCL_SHIM_H
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
#include <CL/cl_ext.h>
#endif
