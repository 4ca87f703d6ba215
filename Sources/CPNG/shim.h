// libpng through its simplified png_image_* API, which needs no setjmp.
#ifndef SGAN_CPNG_SHIM_H
#define SGAN_CPNG_SHIM_H
#include <png.h>

// PNG_IMAGE_SIZE and friends are macros; Swift cannot import them.
static inline size_t sgan_png_image_size(const png_image *image) {
    return PNG_IMAGE_SIZE(*image);
}

// The format constants are macros built from other macros.
static const png_uint_32 sgan_png_format_gray = PNG_FORMAT_GRAY;
static const png_uint_32 sgan_png_format_rgb = PNG_FORMAT_RGB;
static const png_uint_32 sgan_png_format_rgba = PNG_FORMAT_RGBA;
static const png_uint_32 sgan_png_image_version = PNG_IMAGE_VERSION;

static inline int sgan_png_image_failed(const png_image *image) {
    return PNG_IMAGE_FAILED(*image);
}
#endif
