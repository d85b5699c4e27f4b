using System.Numerics;
using Autograd.Tensors;

namespace Autograd.Tests.Tensors;

/// <summary><see cref="GemmPacking.PackA"/> against its definition, on every path whatever the kernel of this machine:
/// panel q holds op(A)(q·mr + i, p) at [p·mr + i], zero-padded rows past mc, and nothing is written past the last panel.
/// The register transposes (6 x 8 for the AVX2 kernel, 8 x 8 for the AVX-512 one) and the vector copies of a transposed A
/// (24 to 64 bytes a depth step: 6 or 8 floats or doubles) need only AVX, so all are checked here even on a machine that
/// runs only one of the kernels.</summary>
public unsafe class GemmPackingTests
{
    [Theory]
    [InlineData(6, 6, 8)]    // one full 6-row panel, one 6 x 8 tile
    [InlineData(6, 13, 21)]  // full panels, a partial one, tiles and a depth tail
    [InlineData(6, 16, 24)]  // a recurrent step's 16-row half: a 4-row last panel, transposed with zero rows
    [InlineData(8, 16, 8)]   // the 8 x 8 transpose
    [InlineData(8, 19, 37)]
    [InlineData(4, 9, 5)]    // the generic paths
    public void Packed_panels_hold_op_A_in_depth_step_order_and_nothing_past_them(int mr, int mc, int kc)
    {
        Check<float>(mr, mc, kc);
        Check<double>(mr, mc, kc);
    }

    private static void Check<T>(int mr, int mc, int kc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(mr * 1000 + mc * 10 + kc);
        foreach (bool transposed in new[] { false, true })
        {
            // op(A) is mc x kc; stored row-major with a wider row (ld > kc) or transposed (kc rows of ld > mc), at an offset.
            int ld = (transposed ? mc : kc) + 3, off = 5;
            var a = new T[off + (transposed ? kc : mc) * ld];
            for (int i = 0; i < a.Length; i++) a[i] = T.CreateChecked(rng.NextDouble() * 2 - 1);
            int panels = (mc + mr - 1) / mr, guard = 16;
            var dst = new T[panels * mr * kc + guard];
            Array.Fill(dst, T.NaN);
            fixed (T* pa = a, pd = dst)
            {
                long rs = transposed ? 1 : ld, cs = transposed ? ld : 1;
                GemmPacking.PackA(mc, kc, pa + off, rs, cs, mr, pd);
            }
            string where = $"{typeof(T).Name}, mr {mr}, {(transposed ? "transposed" : "row-major")} [{mc} x {kc}]";
            for (int q = 0; q < panels; q++)
                for (int p = 0; p < kc; p++)
                    for (int i = 0; i < mr; i++)
                    {
                        int row = q * mr + i;
                        T expected = row < mc ? a[off + (transposed ? p * ld + row : row * ld + p)] : T.Zero;
                        T got = dst[q * mr * kc + p * mr + i];
                        Assert.True(expected == got, $"{where}: panel {q}, step {p}, row {i}: {got} vs {expected}");
                    }
            for (int g = 0; g < guard; g++) Assert.True(T.IsNaN(dst[panels * mr * kc + g]), $"{where}: written past the panels at +{g}");
        }
    }
}
