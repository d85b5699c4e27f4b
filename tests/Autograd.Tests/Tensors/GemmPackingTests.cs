using Autograd.Tensors;

namespace Autograd.Tests.Tensors;

/// <summary><see cref="GemmPacking.PackA"/> against its definition, on every path whatever the kernel of this machine:
/// panel q holds op(A)(q·mr + i, p) at [p·mr + i], zero-padded rows past mc, and nothing is written past the last panel.
/// The register transposes (6 x 8 for the AVX2 kernel, 8 x 8 for the AVX-512 one) and the vector copies of a transposed A
/// need only AVX, so both are checked here even on a machine that runs only one of the kernels.</summary>
public unsafe class GemmPackingTests
{
    [Theory]
    [InlineData(6, 6, 8)]    // one full 6-row panel, one 6 x 8 tile
    [InlineData(6, 13, 21)]  // full panels, a partial one, tiles and a depth tail
    [InlineData(8, 16, 8)]   // the 8 x 8 transpose
    [InlineData(8, 19, 37)]
    [InlineData(4, 9, 5)]    // the generic paths
    public void Packed_panels_hold_op_A_in_depth_step_order_and_nothing_past_them(int mr, int mc, int kc)
    {
        var rng = new Random(mr * 1000 + mc * 10 + kc);
        foreach (bool transposed in new[] { false, true })
        {
            // op(A) is mc x kc; stored row-major with a wider row (ld > kc) or transposed (kc rows of ld > mc), at an offset.
            int ld = (transposed ? mc : kc) + 3, off = 5;
            var a = new float[off + (transposed ? kc : mc) * ld];
            for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
            int panels = (mc + mr - 1) / mr, guard = 16;
            var dst = new float[panels * mr * kc + guard];
            Array.Fill(dst, float.NaN);
            fixed (float* pa = a, pd = dst)
            {
                long rs = transposed ? 1 : ld, cs = transposed ? ld : 1;
                GemmPacking.PackA(mc, kc, pa + off, rs, cs, mr, pd);
            }
            for (int q = 0; q < panels; q++)
                for (int p = 0; p < kc; p++)
                    for (int i = 0; i < mr; i++)
                    {
                        int row = q * mr + i;
                        float expected = row < mc ? a[off + (transposed ? p * ld + row : row * ld + p)] : 0f;
                        Assert.True(expected == dst[q * mr * kc + p * mr + i],
                            $"mr {mr}, {(transposed ? "transposed" : "row-major")} [{mc} x {kc}]: panel {q}, step {p}, row {i}: {dst[q * mr * kc + p * mr + i]} vs {expected}");
                    }
            for (int g = 0; g < guard; g++) Assert.True(float.IsNaN(dst[panels * mr * kc + g]), $"written past the panels at +{g}");
        }
    }
}
