using System.Numerics;
using System.Numerics.Tensors;

namespace Autograd.Tensors;

/// <summary>General matrix multiply over row-major arrays.</summary>
internal static class Gemm
{
    /// <summary>C = op(A) · op(B), or C += op(A) · op(B) when <paramref name="accumulate"/> is true. Row-major.
    /// op(A) is [m, k]: A is stored [m, k] (lda = k) or, when transA, [k, m] (lda = m). op(B) is [k, n]:
    /// B is stored [k, n] or, when transB, [n, k]. C is [m, n] (ldc = n).</summary>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        T[] a, int aOffset, T[] b, int bOffset, T[] c, int cOffset, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var cs = c.AsSpan(cOffset, m * n);
        if (!accumulate) cs.Clear();
        for (int i = 0; i < m; i++)
        {
            var crow = cs.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T av = transA ? a[aOffset + p * m + i] : a[aOffset + i * k + p];
                if (!transB) TensorPrimitives.MultiplyAdd<T>(b.AsSpan(bOffset + p * n, n), av, crow, crow);
                else for (int j = 0; j < n; j++) crow[j] += av * b[bOffset + j * k + p];
            }
        }
    }
}
