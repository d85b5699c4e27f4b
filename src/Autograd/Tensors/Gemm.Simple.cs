using System.Runtime.Intrinsics;

namespace Autograd.Tensors;

// The unpacked path of Multiply, for tiny or very flat products.
internal static unsafe partial class Gemm
{
    /// <summary>Unpacked path for tiny or very flat products: row-by-row loops that stream op(B) in the order it is
    /// stored (axpy form when op(B) rows are contiguous, dot-product form when its columns are).</summary>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Depth.</param>
    /// <param name="a">op(A)(0, 0).</param>
    /// <param name="rsA">Row stride of op(A).</param>
    /// <param name="csA">Column stride of op(A).</param>
    /// <param name="b">op(B)(0, 0).</param>
    /// <param name="rsB">Row stride of op(B).</param>
    /// <param name="csB">Column stride of op(B).</param>
    /// <param name="c">C(0, 0).</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    private static void Simple<T>(int m, int n, int k, T* a, long rsA, long csA, T* b, long rsB, long csB,
        T* c, int ldc, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        for (int i = 0; i < m; i++)
        {
            T* crow = c + (long)i * ldc;
            T* arow = a + i * rsA;
            if (csB == 1)
            {
                if (!accumulate) new Span<T>(crow, n).Clear();
                for (int p = 0; p < k; p++)
                {
                    T x = arow[p * csA];
                    T* brow = b + p * rsB;
                    int j = 0;
                    if (Vector256.IsHardwareAccelerated)
                    {
                        // PERF: vectorized axpy over the contiguous row of op(B).
                        Vector256<T> vx = Vector256.Create(x);
                        for (; j <= n - w; j += w)
                            Vector256.Store(Vector256.Load(crow + j) + vx * Vector256.Load(brow + j), crow + j);
                    }
                    for (; j < n; j++) crow[j] += x * brow[j];
                }
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    T* bcol = b + j * csB;
                    T sum = T.Zero;
                    int p = 0;
                    if (csA == 1 && rsB == 1 && Vector256.IsHardwareAccelerated)
                    {
                        // PERF: both operands are contiguous along the depth: vectorized dot product.
                        Vector256<T> acc = Vector256<T>.Zero;
                        for (; p <= k - w; p += w)
                            acc += Vector256.Load(arow + p) * Vector256.Load(bcol + p);
                        sum = Vector256.Sum(acc);
                    }
                    for (; p < k; p++) sum += arow[p * csA] * bcol[p * rsB];
                    crow[j] = accumulate ? crow[j] + sum : sum;
                }
            }
        }
    }
}
