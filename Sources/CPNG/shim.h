// libpng through its simplified png_image_* API, which needs no setjmp.
#ifndef SGAN_CPNG_SHIM_H
#define SGAN_CPNG_SHIM_H
#include <png.h>

// PNG_IMAGE_SIZE and friends are macros; Swift cannot import them.
static inline size_t sgan_png_image_size(const png_image *image) {
    return PNG_IMAGE_SIZE(*image);
}
#endif
