// Seeded normal random numbers from the counter-based Philox4x32-10 generator and Box-Muller.
// Element i of a stream (seed, offset) depends on nothing else, so the CPU reference produces
// the same numbers (up to float rounding of log, sqrt, cos and sin).

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

uint4 philox4x32_10(uint4 c, uint2 k)
{
    for (int round = 0; round < 10; ++round) {
        if (round > 0) { k.x += PHILOX_W0; k.y += PHILOX_W1; }
        const uint hi0 = mul_hi(PHILOX_M0, c.x), lo0 = PHILOX_M0 * c.x;
        const uint hi1 = mul_hi(PHILOX_M1, c.z), lo1 = PHILOX_M1 * c.z;
        c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

// A uniform float in (0, 1) from the top 23 bits; exact in float.
float uniform_open(uint bits) { return ((float)(bits >> 9) + 0.5f) * (1.0f / 8388608.0f); }

// out[j] for j < n: work-item i fills out[4i ..< 4i+4] from the Philox block with the 64-bit
// counter i + offset (low word first, then two zero words) and key (seedLo, seedHi): two Box-Muller pairs.
__kernel void randn_f32(__global float* out, int n, uint seedLo, uint seedHi, uint offsetLo, uint offsetHi)
{
    const int i = get_global_id(0);
    if (4 * i >= n) return;
    const ulong counter = (ulong)i + (((ulong)offsetHi << 32) | offsetLo);
    const uint4 bits = philox4x32_10((uint4)((uint)counter, (uint)(counter >> 32), 0u, 0u), (uint2)(seedLo, seedHi));
    const float r0 = sqrt(-2.0f * log(uniform_open(bits.x))), t0 = 6.283185307179586f * uniform_open(bits.y);
    const float r1 = sqrt(-2.0f * log(uniform_open(bits.z))), t1 = 6.283185307179586f * uniform_open(bits.w);
    const float values[4] = {r0 * cos(t0), r0 * sin(t0), r1 * cos(t1), r1 * sin(t1)};
    for (int k = 0; k < 4 && 4 * i + k < n; ++k) out[4 * i + k] = values[k];
}
