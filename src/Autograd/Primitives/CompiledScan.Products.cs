using System.Buffers;
using System.Numerics.Tensors;

namespace Autograd;

// The compiled scan's products in its derivative: one step's g_a = g W, and after the loop the weights' and biases'
// gradients over every step at once (see CompiledScanOp).
internal sealed partial class CompiledScanOp
{
    private sealed partial class Run<T>
    {
        // The steps [t0, t1) whose a_t lie one after another in one array (from `Offset`), in order.
        private List<(int T0, int T1, T[] Array, int Offset)> Runs(ScanRef a)
        {
            var runs = new List<(int, int, T[], int)>();
            int aSize = ShapeOf(a).Size;
            for (int t0 = 0; t0 < _steps;)
            {
                var (arr, off) = Locate(a, t0);
                int t1 = t0 + 1;
                while (t1 < _steps && Locate(a, t1) is var (arr1, off1) && ReferenceEquals(arr1, arr) && off1 == off + (t1 - t0) * aSize) t1++;
                runs.Add((t0, t1, arr, off));
                t0 = t1;
            }
            return runs;
        }

        // g_W = Σ_t g_tᵀ a_t (a_tᵀ g_t for a matmul): one product per run of steps. `owner` holds n's per-step cotangent.
        private void WeightAfterLoop(ScanNode n, int owner)
        {
            T[] perStep = _cotSteps[owner]!;
            int wi = n.Inputs[1].Index;
            var (outs, ins, outsFirst) = Weight(n);
            int rows = n.Size / outs;
            foreach (var (t0, t1, arr, off) in Runs(n.Inputs[0]))
            {
                int run = (t1 - t0) * rows;
                if (outsFirst) Tensors.Gemm.Multiply(true, false, outs, ins, run, perStep, t0 * n.Size, arr, off, _gExt[wi], 0, accumulate: true);
                else Tensors.Gemm.Multiply(true, false, ins, outs, run, arr, off, perStep, t0 * n.Size, _gExt[wi], 0, accumulate: true);
            }
        }

        // Two affine maps' weight gradients from the cotangent they share (W x_t and U h_{t−1} of the sum that starts a
        // cell): g_Wᵀ... as one Gemm.MultiplyPair per stretch of steps where both inputs run on, so Σ_t g_tᵀ is packed once.
        // PERF: W2's composed cell packed its [T·B, 4H] cotangent, 3.2 MB, once for each weight.
        private void WeightPairAfterLoop(ScanNode n1, ScanNode n2, int owner)
        {
            T[] perStep = _cotSteps[owner]!;
            var (outs, ins1, _) = Weight(n1);
            int ins2 = Weight(n2).Ins, rows = n1.Size / outs, size1 = ShapeOf(n1.Inputs[0]).Size, size2 = ShapeOf(n2.Inputs[0]).Size;
            var (runs1, runs2) = (Runs(n1.Inputs[0]), Runs(n2.Inputs[0]));
            for (int t = 0, i1 = 0, i2 = 0; t < _steps;)
            {
                var (r1, r2) = (runs1[i1], runs2[i2]);
                int end = Math.Min(r1.T1, r2.T1);
                Tensors.Gemm.MultiplyPair(true, outs, (end - t) * rows, perStep, t * n1.Size,
                    ins1, r1.Array, r1.Offset + (t - r1.T0) * size1, _gExt[n1.Inputs[1].Index], 0,
                    ins2, r2.Array, r2.Offset + (t - r2.T0) * size2, _gExt[n2.Inputs[1].Index], 0, accumulate: true);
                t = end;
                if (t == r1.T1) i1++;
                if (t == r2.T1) i2++;
            }
        }

        // One step of a product's rule: g_a = g W (g Wᵀ for a matmul), straight into a's cotangent (Target), if it has one.
        private void InputStep(ScanNode n, T[] ga, int go, int len, (T[]? Into, int Offset, bool Add) target)
        {
            if (target.Into is null) return;
            var (outs, ins, outsFirst) = Weight(n);
            Tensors.Gemm.Multiply(false, !outsFirst, len / outs, ins, outs, ga, go, _ext[n.Inputs[1].Index], 0, target.Into, target.Offset,
                accumulate: target.Add, cacheB: true, parallel: !_split);
        }

        // One step of two partner products (ScanNode.Partner): g_a = g W and g_b = g U from the g they share, as one
        // Gemm.MultiplyPair (g packed once for both, both weights' packed panels kept), each into its input's cotangent.
        private void PairStep(ScanNode n1, ScanNode n2, T[] ga, int go, int len, int t, int lo, int hi, Part part)
        {
            var (outs, ins1, _) = Weight(n1);
            int ins2 = Weight(n2).Ins, rows = len / outs;
            var (into1, off1, add1) = Target(n1.Inputs[0], t, lo, hi, part);
            var (into2, off2, add2) = Target(n2.Inputs[0], t, lo, hi, part);
            if (into1 is null || into2 is null)
            {
                InputStep(n1, ga, go, len, (into1, off1, add1));
                InputStep(n2, ga, go, len, (into2, off2, add2));
                return;
            }
            // One accumulate flag for both: a target written for the first time this step is cleared and added into.
            if (add1 != add2)
            {
                if (!add1) into1.AsSpan(off1, rows * ins1).Clear();
                else into2.AsSpan(off2, rows * ins2).Clear();
            }
            Tensors.Gemm.MultiplyPair(false, rows, outs, ga, go, ins1, _ext[n1.Inputs[1].Index], 0, into1, off1,
                ins2, _ext[n2.Inputs[1].Index], 0, into2, off2, accumulate: add1 || add2, cacheB: true, parallel: !_split);
        }

        // After the loop, besides the weight's gradient: g_b = Σ g over every row of every step, and for a map of x_t itself
        // g_xs = G W in one product. `owner` is the node whose per-step cotangent buffer holds n's.
        private void AffineAfterLoop(ScanNode n, int owner, T[]?[] columnSums)
        {
            T[] perStep = _cotSteps[owner]!;
            int wi = n.Inputs[1].Index;
            var (outs, ins, outsFirst) = Weight(n);
            int rows = n.Size / outs;
            if (n.Inputs.Length == 3)
            {
                if (columnSums[owner] is null)
                {
                    columnSums[owner] = ArrayPool<T>.Shared.Rent(outs);
                    columnSums[owner].AsSpan(0, outs).Clear();
                    Reduce.SumRows<T>(perStep.AsSpan(0, _steps * n.Size), _steps * rows, columnSums[owner].AsSpan(0, outs));
                }
                var gb = _gExt[n.Inputs[2].Index].AsSpan(0, outs);
                TensorPrimitives.Add(gb, columnSums[owner].AsSpan(0, outs), gb);
            }
            if (n.Hoisted)
                Tensors.Gemm.Multiply(false, !outsFirst, _steps * rows, ins, outs, perStep, 0, _ext[wi], 0, _gxs, 0, accumulate: true, cacheB: true);
        }
    }
}
