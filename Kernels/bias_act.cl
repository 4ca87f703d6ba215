// Fused bias + activation + gain + clamp (the official bias_act), and its gradient.
// y = clamp(act(x + b[c]) * gain, -clampValue, clampValue), c the index along dimension 1.
// ACT(v, alpha) comes from the build options: linear `(v)` or lrelu `(v>0.0f?v:v*alpha)`.
// A negative clampValue means no clamp.

#ifdef ACT
// `planeSize` is the product of the dimensions after dimension 1; `channels` is dimension 1.
// hasBias = 0 skips the bias. Global [planeSize, n / planeSize]: dimension 1 picks the plane, so
// the channel is one division per plane, not per element.
__kernel void bias_act_f32(__global float* y, __global const float* x, __global const float* b, int hasBias,
                           int channels, int planeSize, float alpha, float gain, float clampValue)
{
    const int plane = get_global_id(1);
    const int i = plane * planeSize + get_global_id(0);
    float v = x[i];
    if (hasBias) v += b[plane % channels];
    v = ACT(v, alpha) * gain;
    if (clampValue >= 0.0f) v = clamp(v, -clampValue, clampValue);
    y[i] = v;
}
#endif

#ifdef SLOPE
// dx = dy * gain * act'(.) where |y| < clampValue (or no clamp), computed from the output y:
// SLOPE(y, alpha) comes from the build options, the slope at output y (lrelu: 1 where y > 0,
// else alpha; linear: 1).
__kernel void bias_act_grad_f32(__global float* dx, __global const float* dy, __global const float* y, int n,
                                float alpha, float gain, float clampValue)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const float out = y[i];
    float slope = SLOPE(out, alpha);
    if (clampValue >= 0.0f && !(fabs(out) < clampValue)) slope = 0.0f;
    dx[i] = dy[i] * slope * gain;
}
#endif
