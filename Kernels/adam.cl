// Adam, in place on a parameter and its two moment buffers (PyTorch's formulation):
// m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2;
// p -= (lr / correction1) * m / (sqrt(v) / sqrt(correction2) + eps), correction_k = 1 - beta_k^step.
__kernel void adam_f32(__global float* p, __global const float* g, __global float* m, __global float* v, int n,
                       float lr, float beta1, float beta2, float eps, float correction1, float correction2)
{
    const int i = get_global_id(0);
    if (i >= n) return;
    const float grad = g[i];
    const float mi = beta1 * m[i] + (1.0f - beta1) * grad;
    const float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;
    m[i] = mi;
    v[i] = vi;
    p[i] -= (lr / correction1) * mi / (sqrt(vi) / sqrt(correction2) + eps);
}
